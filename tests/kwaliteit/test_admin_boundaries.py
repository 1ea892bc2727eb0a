"""The admin inside the institution boundary, and result and audit tables nobody can delete (issue 13).

The probe loaded a second institution (ROCB) next to the ROCvAF demo and, as ROCvAF's
`beleid`, granted itself a role in ROCB through /admin/agenda/membership/add/, after which
the API wrote ROCB's values; and it deleted the flip log through the admin. Here ROCB gets a
row in every table the admin shows, and every registered admin is tried: its list, its
forms, its filters and autocomplete never show a ROCB row, a ROCB row cannot be opened,
changed, deleted or reverted, and the result and audit tables refuse every write, also to
a superuser. A model registered without the boundary mixin fails
test_every_registered_admin_keeps_the_boundary.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda.admin_boundary import (
    PROJECT_APPS,
    InstitutionScopedAdmin,
    ReadOnlyAdmin,
    ScopedChoicesMixin,
    SuperuserOnlyMixin,
    institution_id_of,
    institution_path,
)
from agenda.choices import Level, Role
from agenda.models import AdditionalFund, AgendaLoad, College, Indicator, Institution, Membership, Team, Theme
from agenda.services import agenda_load
from indicatoren.models import ContextValue, Measurement, SignoffEvent, StudentCount, Upload, YearSignoff
from maatregelen.models import Evidence, EvidenceKind, Measure, MeasureCategory, Review
from rapportage.models import (
    BudgetChange,
    BudgetResult,
    ContributionChange,
    IndicatorResult,
    RecomputeRun,
    VerdictChange,
)
from tests.api.conftest import agenda_spec

PROJECT_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in PROJECT_APPS), key=lambda m: m._meta.label
)
OTHER_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label not in PROJECT_APPS), key=lambda m: m._meta.label
)
# Results and the audit trail: read-only for everyone, superusers included.
AUDIT_MODELS = [
    IndicatorResult,
    BudgetResult,
    RecomputeRun,
    VerdictChange,
    ContributionChange,
    BudgetChange,
    YearSignoff,
    SignoffEvent,
    Upload,
    AgendaLoad,
    ContextValue,  # written by benchmark files only (issue 18)
]
HISTORY_MODELS = [m for m in PROJECT_MODELS if hasattr(m, "history")]

# Texts that only ROCB's rows print (each holds a space or a hyphen, so no random token matches).
ROCB_MARKS = ["Instelling ROCB", "van BX100", "College BX100", "vsv Voortijdig", "ROCB-geheim", "rocb_beleid"]


def label(model) -> str:
    """Return the test id of a model ("agenda.Team")."""
    return model._meta.label


def url(model, view: str, *args) -> str:
    """Return the admin URL of `view` (changelist, add, change, delete, history) for `model`."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def visible_text(response) -> str:
    """Return the page without its random tokens (CSRF, CSP nonces), so marks cannot match by chance."""
    text = response.content.decode()
    return re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]*"', "", text)


@dataclass
class Boundary:
    """ROCvAF (the demo) and ROCB, each with a row in every admin table; ROCvAF's beleid; a superuser."""

    rocvaf: Institution
    rocb: Institution
    beleid: object
    root: object
    rocb_rows: dict
    rocvaf_rows: dict

    def client(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


def _add_rows(inst: Institution, user, tag: str) -> None:
    """Give `inst` a row in every admin table the agenda loader and the demo left empty."""
    college = College.objects.filter(institution=inst).order_by("code").first()
    team = Team.objects.filter(college=college).order_by("code").first()
    theme = Theme.objects.filter(institution=inst).order_by("position").first()
    indicator = Indicator.objects.filter(institution=inst).order_by("position").first()
    now = timezone.now()

    def run():
        return RecomputeRun.objects.filter(institution=inst).first() or RecomputeRun.objects.create(
            institution=inst, state="done", reason=f"herberekening {tag}"
        )

    def signoff():
        return YearSignoff.objects.filter(institution=inst).first() or YearSignoff.objects.create(
            institution=inst, college=college, year=2019, changed_by=user
        )

    makers = {
        AdditionalFund: lambda: AdditionalFund.objects.create(
            institution=inst, theme=theme, year=2020, source=f"Fonds {tag}", amount_cents=100
        ),
        Measurement: lambda: Measurement.objects.create(
            indicator=indicator, year=2018, level=Level.TEAM, college=college, team=team, value=Decimal("6.5"), n=40
        ),
        StudentCount: lambda: StudentCount.objects.create(college=college, year=2018, count=500),
        ContextValue: lambda: ContextValue.objects.create(
            indicator=indicator, year=2018, level=Level.INSTITUTION, series="landelijk", value=Decimal("72.5")
        ),
        Upload: lambda: Upload.objects.create(
            institution=inst, original_name=f"{tag}.csv", checksum="0" * 64, status="rejected", uploaded_by=user
        ),
        YearSignoff: signoff,
        SignoffEvent: lambda: SignoffEvent.objects.create(
            signoff=signoff(), action="submit", from_state="open", to_state="submitted", user=user
        ),
        Measure: lambda: Measure.objects.create(
            institution=inst, theme=theme, college=college, title=f"Maatregel {tag}", category=MeasureCategory.PROGRAMME
        ),
        Evidence: lambda: Evidence.objects.create(
            institution=inst, theme=theme, college=college, year=2020, kind=EvidenceKind.STORY, title=f"Verhaal {tag}"
        ),
        Review: lambda: Review.objects.create(college=college, year=2019, quadrimester=3, created_by=user),
        RecomputeRun: run,
        IndicatorResult: lambda: IndicatorResult.objects.create(
            institution=inst, indicator=indicator, year=2099, basis="no_data", payload={}, computed_at=now, run=run()
        ),
        BudgetResult: lambda: BudgetResult.objects.create(
            institution=inst, year=2099, payload={}, computed_at=now, run=run()
        ),
        VerdictChange: lambda: VerdictChange.objects.create(
            institution=inst,
            run=run(),
            indicator=indicator,
            year=2020,
            college=college,
            old="behaald",
            new="niet behaald",
            description=f"Omgeslagen {tag}",
        ),
        ContributionChange: lambda: ContributionChange.objects.create(
            institution=inst,
            run=run(),
            indicator=indicator,
            year=2020,
            team=team,
            old="droeg niet bij",
            new="droeg bij",
        ),
        BudgetChange: lambda: BudgetChange.objects.create(
            institution=inst, run=run(), year=2020, theme=theme, kind="released", old_cents=100, new_cents=250
        ),
    }
    for model, make in makers.items():
        if not model._default_manager.filter(**{institution_path(model): inst.pk}).exists():
            make()


def _one_row_each(inst: Institution) -> dict:
    """Return a row of `inst` for every project model registered in the admin."""
    rows = {}
    for model in PROJECT_MODELS:
        queryset = model._default_manager.filter(**{institution_path(model): inst.pk}).order_by("pk")
        rows[model] = queryset.first()
    return rows


@pytest.fixture
def boundary(rocvaf_demo) -> Boundary:
    """Load ROCB beside the demo, as the probe did, and fill every admin table of both institutions."""
    User = get_user_model()
    rocb = agenda_load(data=agenda_spec("ROCB", ["BX100"])).institution
    rocb_beleid = User.objects.create_user("rocb_beleid", password="x")
    Membership.objects.create(user=rocb_beleid, institution=rocb, role=Role.POLICY)
    _add_rows(rocb, rocb_beleid, "ROCB-geheim")
    beleid = User.objects.get(username="beleid")
    _add_rows(rocvaf_demo, beleid, "ROCVAF")
    root = User.objects.create_superuser("root", "root@example.org", "x")
    return Boundary(
        rocvaf=rocvaf_demo,
        rocb=rocb,
        beleid=beleid,
        root=root,
        rocb_rows=_one_row_each(rocb),
        rocvaf_rows=_one_row_each(rocvaf_demo),
    )


def snapshot(model, pk):
    """Return the row as stored (None when gone), to compare before and after a refused request."""
    return model._default_manager.filter(pk=pk).values().first()


# --- every registered admin ---------------------------------------------------------------


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=label)
def test_every_registered_admin_keeps_the_boundary(model):
    """Each project model's admin (and its inlines) uses the boundary mixin and reaches an institution."""
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, InstitutionScopedAdmin), f"{label(model)}: admin without InstitutionScopedAdmin"
    assert institution_path(model)
    for inline in model_admin.inlines:
        assert issubclass(inline, ScopedChoicesMixin), f"{inline.__name__}: inline without ScopedChoicesMixin"


@pytest.mark.parametrize("model", OTHER_MODELS, ids=label)
def test_admins_outside_the_project_are_for_superusers_only(model):
    """Users, groups, tokens and login records have no institution: their admins are superuser-only."""
    assert isinstance(admin.site._registry[model], SuperuserOnlyMixin)


@pytest.mark.django_db
@pytest.mark.parametrize("model", OTHER_MODELS, ids=label)
def test_staff_with_every_permission_cannot_open_other_admins(model):
    """A staff member holding every permission cannot list users, groups or tokens (no self-promotion)."""
    from django.contrib.auth.models import Permission

    staff = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    client = Client()
    client.force_login(staff)
    assert client.get(url(model, "changelist")).status_code == 403
    assert client.get(url(model, "add")).status_code == 403


# --- the boundary ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=label)
def test_foreign_rows_never_appear_in_lists(boundary, model):
    """As ROCvAF's beleid every changelist lists ROCvAF's rows only, and its filters name no ROCB row."""
    assert boundary.rocb_rows[model] is not None, f"the test world has no ROCB row of {label(model)}"
    response = boundary.client(boundary.beleid).get(url(model, "changelist"))
    assert response.status_code == 200
    listed = {obj.pk for obj in response.context["cl"].result_list}
    assert listed, f"beleid sees no ROCvAF row of {label(model)}"
    assert all(institution_id_of(obj) == boundary.rocvaf.pk for obj in response.context["cl"].result_list)
    assert boundary.rocb_rows[model].pk not in listed
    text = visible_text(response)
    assert not [mark for mark in ROCB_MARKS if mark in text]
    # A crafted filter on ROCB's institution lists no ROCB row either (ignored or empty).
    path = institution_path(model)
    crafted = boundary.client(boundary.beleid).get(
        url(model, "changelist"), {"id__exact" if path == "pk" else f"{path}__id__exact": boundary.rocb.pk}
    )
    if crafted.status_code == 200:
        assert all(institution_id_of(obj) == boundary.rocvaf.pk for obj in crafted.context["cl"].result_list)


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=label)
def test_foreign_rows_cannot_be_opened_changed_or_deleted(boundary, model):
    """Change, delete and history pages of a ROCB row answer 404/403 to ROCvAF's beleid, and the row stays."""
    client = boundary.client(boundary.beleid)
    row = boundary.rocb_rows[model]
    before = snapshot(model, row.pk)
    attempts = [
        client.get(url(model, "change", row.pk)),
        client.post(url(model, "change", row.pk), {}),
        client.get(url(model, "delete", row.pk)),
        client.post(url(model, "delete", row.pk), {"post": "yes"}),
        client.get(url(model, "history", row.pk)),
        client.post(
            url(model, "changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
        ),
    ]
    if model in HISTORY_MODELS:
        version = model.history.filter(**{model._meta.pk.attname: row.pk}).order_by("history_id").first()
        if version is not None:
            attempts.append(client.get(url(model, "simple_history", row.pk, version.history_id)))
            attempts.append(client.post(url(model, "simple_history", row.pk, version.history_id), {}))
    statuses = [response.status_code for response in attempts]
    # The bulk action answers the list page again (200, "no rows selected"); every other attempt 403/404.
    assert all(status in (403, 404) for status in statuses[:5] + statuses[6:]), statuses
    assert snapshot(model, row.pk) == before


def test_probe_membership_for_another_institution_is_refused_and_the_api_stays_closed(boundary):
    """The probe: beleid of ROCvAF adds a ROCB role for itself in the admin; refused, nothing stored, API write 403."""
    client = boundary.client(boundary.beleid)
    before = Membership.objects.count()
    response = client.post(
        url(Membership, "add"), {"user": boundary.beleid.pk, "institution": boundary.rocb.pk, "role": Role.POLICY}
    )
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors.keys() >= {"user", "institution"}
    assert Membership.objects.count() == before
    assert not Membership.objects.filter(user=boundary.beleid, institution=boundary.rocb).exists()

    # A new account given a ROCB role by ROCvAF's beleid: refused too.
    newcomer = get_user_model().objects.create_user("nieuw", password="x")
    response = client.post(
        url(Membership, "add"), {"user": newcomer.pk, "institution": boundary.rocb.pk, "role": Role.BOARD}
    )
    assert "institution" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer).exists()

    # The write the probe then made through the API.
    value = Measurement.objects.get(indicator__institution=boundary.rocb, team__code="BX100-T1", year=2018)
    api = client.post(
        "/api/v1/measurements/?institution=ROCB",
        {"indicator": "vsv", "year": 2018, "team": "BX100-T1", "value": "9.9", "n": 40},
        content_type="application/json",
    )
    assert api.status_code == 403
    value.refresh_from_db()
    assert value.value == Decimal("6.5")


def test_beleid_cannot_raise_or_remove_its_own_role(boundary):
    """Policy staff's own membership is view-only for them: no role change, no new one for themselves."""
    client = boundary.client(boundary.beleid)
    own = Membership.objects.get(user=boundary.beleid, institution=boundary.rocvaf)
    other = get_user_model().objects.create_user("bestuurder2", password="x")
    post = client.post(
        url(Membership, "change", own.pk),
        {"user": boundary.beleid.pk, "institution": boundary.rocvaf.pk, "role": Role.API, "api_write": "on"},
    )
    assert post.status_code == 403
    assert client.post(url(Membership, "delete", own.pk), {"post": "yes"}).status_code == 403
    own.refresh_from_db()
    assert (own.role, own.api_write) == (Role.POLICY, False)
    # The user list offers people without a role and ROCvAF's people, never ROCB's nor oneself.
    form = client.get(url(Membership, "add")).context["adminform"].form
    offered = set(form.fields["user"].queryset)
    assert other in offered
    assert boundary.beleid not in offered
    assert get_user_model().objects.get(username="rocb_beleid") not in offered
    assert set(form.fields["institution"].queryset) == {boundary.rocvaf}
    assert not set(form.fields["colleges"].queryset.exclude(institution=boundary.rocvaf))


def test_a_role_in_the_own_institution_is_still_granted(boundary):
    """Policy staff still give a new colleague a role in their own institution (the admin's job)."""
    newcomer = get_user_model().objects.create_user("collega", password="x")
    response = boundary.client(boundary.beleid).post(
        url(Membership, "add"), {"user": newcomer.pk, "institution": boundary.rocvaf.pk, "role": Role.BOARD}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Membership.objects.filter(user=newcomer, institution=boundary.rocvaf, role=Role.BOARD).exists()


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=label)
def test_add_forms_offer_no_foreign_choices(boundary, model):
    """Every add form (with its inlines) offers only ROCvAF's colleges, teams, indicators and people."""
    response = boundary.client(boundary.beleid).get(url(model, "add"))
    # Ambitions are revised on the policy pages with a dry run; the admin adds them for superusers only (issue 15).
    if model in AUDIT_MODELS or model is Institution or model._meta.label == "agenda.Ambition":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    text = visible_text(response)
    assert not [mark for mark in ROCB_MARKS if mark in text]


def test_a_crafted_post_with_a_foreign_college_is_refused(boundary):
    """A team added under ROCB's college (an id the form never offered) is refused; nothing is stored."""
    college = College.objects.get(institution=boundary.rocb)
    before = Team.objects.count()
    response = boundary.client(boundary.beleid).post(
        url(Team, "add"),
        {"institution": boundary.rocb.pk, "college": college.pk, "code": "BX100-NEW", "name": "Nieuw team"},
    )
    assert response.status_code == 200
    assert {"institution", "college"} <= response.context["adminform"].form.errors.keys()
    assert Team.objects.count() == before


def test_autocomplete_finds_no_foreign_teams(boundary):
    """The team search of the value form finds ROCvAF's teams, never ROCB's."""
    client = boundary.client(boundary.beleid)
    params = {"app_label": "indicatoren", "model_name": "measurement", "field_name": "team"}
    foreign = client.get("/admin/autocomplete/", {**params, "term": "BX100"})
    assert foreign.status_code == 200 and foreign.json()["results"] == []
    own_team = Team.objects.filter(institution=boundary.rocvaf).first()
    own = client.get("/admin/autocomplete/", {**params, "term": own_team.code})
    assert str(own_team.pk) in {r["id"] for r in own.json()["results"]}


def test_superuser_still_sees_every_institution(boundary):
    """The boundary is for non-superusers: a superuser lists ROCB's teams beside ROCvAF's."""
    response = boundary.client(boundary.root).get(url(Team, "changelist"), {"q": "BX100"})
    assert boundary.rocb_rows[Team].pk in {obj.pk for obj in response.context["cl"].result_list}


# --- results and the audit trail -------------------------------------------------------------


@pytest.mark.parametrize("who", ["beleid", "root"])
@pytest.mark.parametrize("model", AUDIT_MODELS, ids=label)
def test_results_and_audit_trail_are_read_only_for_everyone(boundary, model, who):
    """Verdicts, flips, runs, budget results, sign-offs, uploads and loads: viewable, never added, changed or deleted."""
    user = getattr(boundary, who)
    client = boundary.client(user)
    row = boundary.rocvaf_rows[model]
    before = snapshot(model, row.pk)
    assert isinstance(admin.site._registry[model], ReadOnlyAdmin)
    assert client.get(url(model, "change", row.pk)).status_code == 200  # visible
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "change", row.pk), {}).status_code == 403
    assert client.get(url(model, "delete", row.pk)).status_code == 403
    assert client.post(url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    listing = client.get(url(model, "changelist"))
    assert "delete_selected" not in listing.context["cl"].model_admin.get_actions(listing.wsgi_request)
    client.post(url(model, "changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert snapshot(model, row.pk) == before


def test_a_college_with_logged_flips_cannot_be_deleted_even_by_a_superuser(boundary):
    """Deleting a college would take its flip log along: the admin refuses it, the flips stay."""
    # A college with nothing but a logged flip (teams and values would protect it on their own).
    college = College.objects.create(institution=boundary.rocb, code="BX200", name="Leeg college")
    flip = VerdictChange.objects.filter(institution=boundary.rocb).first()
    VerdictChange.objects.create(
        institution=boundary.rocb, indicator=flip.indicator, year=2020, college=college, old="ja", new="nee"
    )
    flips = VerdictChange.objects.filter(college=college).count()
    client = boundary.client(boundary.root)
    assert client.post(url(College, "delete", college.pk), {"post": "yes"}).status_code == 403
    assert VerdictChange.objects.filter(college=college).count() == flips
    assert College.objects.filter(pk=college.pk).exists()


API_RESULT_URLS = [
    "/api/v1/status/?year=2020",
    "/api/v1/budget/?year=2020",
    "/api/v1/indicators/1a/status/?year=2020",
]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", [*API_RESULT_URLS, "upload"])
def test_api_result_and_upload_records_accept_reads_only(boundary, path, method):
    """The API's result endpoints and upload records answer 405 to every write, for policy staff too."""
    client = boundary.client(boundary.beleid)
    if path == "upload":
        path = f"/api/v1/uploads/{boundary.rocvaf_rows[Upload].pk}/"
    response = getattr(client, method)(path, {}, content_type="application/json")
    assert response.status_code == 405
    assert client.get(path).status_code in (200, 404)
