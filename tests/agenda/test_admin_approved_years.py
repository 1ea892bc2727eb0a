"""The admin cannot change what an approved (vastgesteld) year judged or paid.

domain.md, "Sign-off and locking": approved years are locked on every channel until policy staff
reopen them with a logged reason. After 2020 was approved the admin still saved, with 302 and no
reopen, an indicator's richting (an approved "niet gehaald" became "gehaald"), its levels,
baseline and theme, a budget row's total and percentages, a theme's share and `national`, the
other funds of 2020, and deleted such rows. Each test posts the admin page as a browser would
(tests/agenda/admin_forms.py); the refusal stands beside the field that changed, names the year
and the approval, and nothing is saved. What moves no verdict or cent stays editable.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agenda.choices import Role
from agenda.models import AdditionalFund, BudgetYear, CompositeComponent, Indicator, Membership, Theme
from agenda.services import agenda_load
from indicatoren.signoff import signoff_approve, signoff_reopen
from maatregelen import services
from rapportage.choices import RunState
from rapportage.models import RecomputeRun
from tests.agenda.admin_forms import form_data
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db

APPROVED = " in 2020, maar het jaar 2020 is voor het instellingsniveau vastgesteld op "
REOPEN = "wijzigen kan pas nadat een beleidsmedewerker het jaar heropent."


def _world(code: str):
    """Load a small agenda (three colleges; budget 2020 and 2021; a 2020 fund) and return it with its policy staff."""
    data = agenda_spec(code, [f"{code}1", f"{code}2", f"{code}3"])
    data["themes"][0]["additional_funds"] = [{"source": "Gemeente", "year": 2020, "amount_eur": 1000}]
    data["budget"].append({"year": 2021, "total_eur": 1000000, "result_dependent_pct": 25})
    inst = agenda_load(data=data, source="test").institution
    staff = get_user_model().objects.create_user(f"{code.lower()}_beleid", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="agenda"))
    Membership.objects.create(user=staff, institution=inst, role=Role.POLICY)
    return inst, staff


def _approve(inst, staff) -> None:
    """Approve 2020 for every college and the institution, once the load's recompute counts as done."""
    RecomputeRun.objects.filter(institution=inst, finished_at__isnull=True).update(
        state=RunState.DONE, finished_at=timezone.now()
    )
    signoff_approve(institution=inst, year=2020, user=staff)


@pytest.fixture
def approved():
    """Return the institution with 2020 approved, and a client signed in as its policy staff (beleid)."""
    inst, staff = _world("AJV")
    _approve(inst, staff)
    client = Client()
    client.force_login(staff)
    client.raise_request_exception = False
    return inst, client, staff


def _refused(client, url: str, data: dict, field: str) -> str:
    """Post `data`, assert the page comes back with one error beside `field`, and return it."""
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field], errors
    (message,) = errors[field]
    assert APPROVED in message and message.endswith(REOPEN), message
    return message


def _vsv(inst) -> Indicator:
    return Indicator.objects.get(institution=inst, code="vsv")


INDICATOR_CHANGES = [
    ("polarity", lambda inst: "higher", "De richting van vsv verandert de oordelen"),
    ("levels", lambda inst: '["institution"]', "Alleen op instellingsniveau meten of niet verandert de oordelen"),
    ("baseline_year", lambda inst: "2018", "De nulmeting van vsv verandert de oordelen"),
    ("baseline_value", lambda inst: "6,9", "De nulmeting van vsv verandert de oordelen"),
    (
        "theme",
        lambda inst: str(Theme.objects.get(institution=inst, code="T2").pk),
        "Indicator vsv naar thema T2 (was T1) verandert het budget",
    ),
]


@pytest.mark.parametrize(("field", "value", "start"), INDICATOR_CHANGES, ids=[c[0] for c in INDICATOR_CHANGES])
def test_what_an_indicator_is_judged_on_is_locked_in_an_approved_year(approved, field, value, start):
    """Richting, levels, baseline and theme are refused beside the field; the name saves; after a reopen all save."""
    inst, client, staff = approved
    vsv = _vsv(inst)
    stored = Indicator.objects.values().get(pk=vsv.pk)
    url = f"/admin/agenda/indicator/{vsv.pk}/change/"
    data = form_data(client, url)
    data[field] = value(inst)
    assert _refused(client, url, data, field).startswith(start)
    assert Indicator.objects.values().get(pk=vsv.pk) == stored

    data = form_data(client, url)
    data.update(name="Voortijdig schoolverlaten (nieuw)", description="nieuwe toelichting", source="DUO")
    assert client.post(url, data).status_code == 302
    assert _vsv(inst).name == "Voortijdig schoolverlaten (nieuw)"

    signoff_reopen(institution=inst, year=2020, reason="richting corrigeren", user=staff)
    data = form_data(client, url)
    data[field] = value(inst)
    assert client.post(url, data).status_code == 302


BUDGET_CHANGES = [("total_cents", "200000000"), ("result_dependent_pct", "20"), ("central_pct", "5")]


@pytest.mark.parametrize(("field", "value"), BUDGET_CHANGES, ids=[c[0] for c in BUDGET_CHANGES])
def test_an_approved_budget_years_split_is_locked(approved, field, value):
    """The total and percentages of 2020 are refused beside the field; the lumpsum (no cent of the split) saves."""
    inst, client, _ = approved
    row = BudgetYear.objects.get(institution=inst, year=2020)
    url = f"/admin/agenda/budgetyear/{row.pk}/change/"
    data = form_data(client, url)
    data[field] = value
    assert _refused(client, url, data, field).startswith("Het budget van 2020 verandert de verdeling")
    assert BudgetYear.objects.get(pk=row.pk).terms == row.terms

    # The lumpsum moves no cent of the split: it still changes in an approved year, on the manifesto
    # page (its one home; read-only in the admin, which saves the unchanged page as before).
    data = form_data(client, url)
    assert "lumpsum_total_cents" not in data and client.post(url, data).status_code == 302
    services.lumpsum_set(budget_year=BudgetYear.objects.get(pk=row.pk), lumpsum_total_cents=5000000000)
    assert BudgetYear.objects.get(pk=row.pk).lumpsum_total_cents == 5000000000


def test_a_budget_row_in_or_before_an_approved_year_cannot_be_added_or_moved_there(approved):
    """A 2019 row moves 2020's reserve and is refused; a 2021 row moved to 2019 too; a 2022 row is added."""
    inst, client, _ = approved
    url = "/admin/agenda/budgetyear/add/"
    data = form_data(client, url)
    data.update(institution=str(inst.pk), year="2019", total_cents="90000000")
    assert _refused(client, url, data, "year").startswith("Het budget van 2019 verandert de verdeling")
    assert not BudgetYear.objects.filter(institution=inst, year=2019).exists()

    row = BudgetYear.objects.get(institution=inst, year=2021)
    change = f"/admin/agenda/budgetyear/{row.pk}/change/"
    data = form_data(client, change)
    data["year"] = "2019"
    assert _refused(client, change, data, "year").startswith("Het budget van 2019 (was 2021) verandert de verdeling")

    data = form_data(client, url)
    data.update(institution=str(inst.pk), year="2022", total_cents="90000000")
    assert client.post(url, data).status_code == 302
    assert BudgetYear.objects.filter(institution=inst, year=2022).exists()


THEME_CHANGES = [
    ("budget_share_pct", "50", "Het budgetaandeel van T1 verandert het budget"),
    ("national", None, "Of T1 een landelijk thema is, verandert het budgetoverzicht"),
]


@pytest.mark.parametrize(("field", "value", "start"), THEME_CHANGES, ids=[c[0] for c in THEME_CHANGES])
def test_a_themes_share_and_national_are_locked(approved, field, value, start):
    """The share and `national` of T1 are refused beside the field; the name and ambition text save."""
    inst, client, _ = approved
    theme = Theme.objects.get(institution=inst, code="T1")
    url = f"/admin/agenda/theme/{theme.pk}/change/"
    data = form_data(client, url)
    if value is None:
        data.pop(field)  # untick
    else:
        data[field] = value
    assert _refused(client, url, data, field).startswith(start)
    assert Theme.objects.get(pk=theme.pk).terms == theme.terms

    data = form_data(client, url)
    data.update(name="Kwetsbare jongeren (nieuw)", ambition="Minder uitval")
    assert client.post(url, data).status_code == 302
    assert Theme.objects.get(pk=theme.pk).name == "Kwetsbare jongeren (nieuw)"


def test_other_funds_of_an_approved_year_are_locked(approved):
    """A 2020 fund's amount and year, and a new fund of 2020 or of every year, are refused; a note and 2021 save."""
    inst, client, _ = approved
    fund = AdditionalFund.objects.get(institution=inst, year=2020)
    url = f"/admin/agenda/additionalfund/{fund.pk}/change/"
    for field, value in (("amount_cents", "200000"), ("year", "2021")):
        data = form_data(client, url)
        data[field] = value
        assert _refused(client, url, data, field).startswith("Het bedrag uit ‘Gemeente’ verandert het budgetoverzicht")
    assert AdditionalFund.objects.get(pk=fund.pk).terms == fund.terms

    data = form_data(client, url)
    data["note"] = "toegezegd door de gemeente"
    assert client.post(url, data).status_code == 302

    add = "/admin/agenda/additionalfund/add/"
    theme = Theme.objects.get(institution=inst, code="T1")
    for year in ("2020", ""):
        data = form_data(client, add)
        data.update(institution=str(inst.pk), theme=str(theme.pk), source="RIF", year=year, amount_cents="50000")
        assert _refused(client, add, data, "year").startswith("Het bedrag uit ‘RIF’ verandert het budgetoverzicht")
    data["year"] = "2021"
    assert client.post(add, data).status_code == 302
    assert AdditionalFund.objects.filter(institution=inst, source="RIF", year=2021).exists()


def _delete_refused(client, url: str, start: str) -> None:
    """Assert the delete page names the refusal and offers no confirmation, and that confirming deletes nothing."""
    response = client.get(url)
    assert response.status_code == 200
    (refusal,) = response.context["protected"]
    assert start in refusal and APPROVED in refusal and refusal.endswith(REOPEN), refusal
    assert 'name="post"' not in response.content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 200


@pytest.fixture
def with_theme_and_composite(approved):
    """Add, before 2020 is approved, a theme T9 with a share and no indicators and a composite of vsv and kw."""
    inst, client, staff = approved
    signoff_reopen(institution=inst, year=2020, reason="agenda aanvullen", user=staff)
    t1 = Theme.objects.get(institution=inst, code="T1")
    Theme.objects.create(institution=inst, code="T9", name="Extra", budget_share_pct=Decimal(10), position=9)
    composite = Indicator.objects.create(
        institution=inst,
        theme=t1,
        code="samen",
        name="Samengesteld",
        unit="percent",
        polarity="lower",
        levels=["team", "college", "institution"],
        baseline_year=2017,
    )
    for position, code in enumerate(("vsv", "kw")):
        CompositeComponent.objects.create(
            composite=composite,
            component=Indicator.objects.get(institution=inst, code=code),
            weight=Decimal(1),
            position=position,
        )
    _approve(inst, staff)
    return approved


def test_deleting_what_an_approved_year_judged_or_paid_is_refused(with_theme_and_composite):
    """The 2020 budget row, the 2020 fund, a theme with a share and a composite indicator stay; 2021's row goes."""
    inst, client, _ = with_theme_and_composite
    budget = BudgetYear.objects.get(institution=inst, year=2020)
    _delete_refused(
        client, f"/admin/agenda/budgetyear/{budget.pk}/delete/", "Zonder het budget van 2020 verandert de verdeling"
    )
    fund = AdditionalFund.objects.get(institution=inst, year=2020)
    _delete_refused(
        client, f"/admin/agenda/additionalfund/{fund.pk}/delete/", "Zonder het bedrag uit ‘Gemeente’ (2020)"
    )
    theme = Theme.objects.get(institution=inst, code="T9")
    _delete_refused(client, f"/admin/agenda/theme/{theme.pk}/delete/", "Het budgetaandeel van T9 verandert het budget")
    composite = Indicator.objects.get(institution=inst, code="samen")
    _delete_refused(
        client,
        f"/admin/agenda/indicator/{composite.pk}/delete/",
        "Zonder de samengestelde indicator samen veranderen de oordelen",
    )
    assert BudgetYear.objects.filter(pk=budget.pk).exists() and AdditionalFund.objects.filter(pk=fund.pk).exists()
    assert Theme.objects.filter(pk=theme.pk).exists() and Indicator.objects.filter(pk=composite.pk).exists()

    later = BudgetYear.objects.get(institution=inst, year=2021)
    assert client.post(f"/admin/agenda/budgetyear/{later.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not BudgetYear.objects.filter(pk=later.pk).exists()


def test_delete_selected_refuses_rows_of_an_approved_year(approved):
    """The list's "delete selected" (RecomputeMixin.delete_queryset) refuses as the delete page does, for a superuser too."""
    inst, _, _ = approved
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("ajv_su", "ajv_su@example.org", "x"))
    rows = list(BudgetYear.objects.filter(institution=inst).values_list("pk", flat=True))
    response = client.post(
        "/admin/agenda/budgetyear/",
        {"action": "delete_selected", "_selected_action": [str(pk) for pk in rows], "post": "yes"},
    )
    assert response.status_code == 200
    refusals = response.context["protected"]
    assert any("Zonder het budget van 2020 verandert de verdeling" + APPROVED in line for line in refusals)
    assert BudgetYear.objects.filter(pk__in=rows).count() == 2


def test_before_any_approval_the_check_costs_one_query_and_a_change_saves():
    """Without an approval a changed richting saves; the check reads the stored row, and only on a change asks more."""
    inst, staff = _world("AJW")
    vsv = _vsv(inst)
    vsv.name = "Andere naam"
    with CaptureQueriesContext(connection) as queries:
        vsv._refuse_changes_in_locked_years()
    assert len(queries) == 1, [q["sql"] for q in queries]  # the stored row
    vsv.polarity = "higher"
    with CaptureQueriesContext(connection) as queries:
        vsv._refuse_changes_in_locked_years()
    assert len(queries) == 3, [q["sql"] for q in queries]  # the stored row, the colleges, the approvals
    client = Client()
    client.force_login(staff)
    url = f"/admin/agenda/indicator/{vsv.pk}/change/"
    data = form_data(client, url)
    data["polarity"] = "higher"
    assert client.post(url, data).status_code == 302
    assert _vsv(inst).polarity == "higher"
