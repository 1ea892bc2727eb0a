"""Horizontal accountability (issue 14, item 4): the partner role reads the curated account and nothing else.

The world is small and its figures distinctive (team values 5,1111 ... 5,4444, college values
6,4321 and 6,5432, a small breakdown group 3,7777), so a search of the page for a figure finds
exactly that figure and nothing that happens to look like it.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from agenda.choices import Level, Role
from agenda.models import College, Indicator, Institution, Membership, Team, Theme
from agenda.permissions import can_read, can_read_public
from agenda.services import agenda_load
from indicatoren.models import ContextValue, Measurement
from maatregelen import services
from maatregelen.choices import EvidenceKind, MeasureCategory, TargetGroup
from maatregelen.forms import EvidenceForm, MeasureForm
from maatregelen.models import Evidence, Measure, Promise, Review
from rapportage.partner import shown_to_partner
from rapportage.services import recompute_now

YEAR = 2020
TEAM_VALUES = {"A100-T1": "5.1111", "A100-T2": "5.2222", "B200-T1": "5.3333", "B200-T2": "5.4444"}
COLLEGE_VALUES = {"A100": "6.4321", "B200": "6.5432"}
INSTITUTION_VALUE = "6.25"
PUBLIC_MEASURE, PRIVATE_MEASURE = "Taalcoaching met de regio", "Verbeterplan vertrouwelijk"
PUBLIC_EVIDENCE, PRIVATE_EVIDENCE = "Open dag met werkgevers", "Interne auditbevinding vertrouwelijk"


def spec() -> dict:
    """Return a small agenda file: two colleges with two teams each, vsv at every level, kw at institution level."""
    return {
        "institution": {"code": "PRT", "name": "ROC Partnerstad"},
        "period": {"start": 2019, "end": 2022},
        "colleges": [
            {
                "code": college,
                "name": f"College {college}",
                "teams": [{"code": f"{college}-T{i}", "name": f"Team Zonnebloem{i} {college}"} for i in (1, 2)],
            }
            for college in ("A100", "B200")
        ],
        "themes": [
            {
                "code": "T1",
                "name": "Kwetsbare jongeren",
                "national": True,
                "budget_share_pct": 60,
                "indicators": [
                    {
                        "code": "vsv",
                        "name": "Voortijdig schoolverlaten",
                        "unit": "percent",
                        "polarity": "lower",
                        "levels": ["team", "college", "institution"],
                        "baseline": {"year": 2017, "value": 6.7},
                        "ambitions": [{"year": YEAR, "type": "maintain", "tolerance": 0.5}],
                    }
                ],
            },
            {
                "code": "T2",
                "name": "Kwalificatiewinst",
                "budget_share_pct": 40,
                "indicators": [
                    {
                        "code": "kw",
                        "name": "Kwalificatiewinst",
                        "unit": "percent",
                        "polarity": "higher",
                        "levels": ["institution"],
                        "baseline": {"year": 2017, "value": 50},
                        "ambitions": [{"year": YEAR, "type": "improve"}],
                    }
                ],
            },
        ],
        "budget": [{"year": YEAR, "total_eur": 1000000, "result_dependent_pct": 25}],
    }


@pytest.fixture
def world(db):
    """Load PRT with values at every level, comparison and breakdown rows, promises, measures and users."""
    inst = agenda_load(data=spec()).institution
    vsv = Indicator.objects.get(institution=inst, code="vsv")
    kw = Indicator.objects.get(institution=inst, code="kw")
    colleges = {c.code: c for c in College.objects.filter(institution=inst)}
    Measurement.objects.create(indicator=vsv, year=2017, level=Level.INSTITUTION, value=Decimal("6.7"))
    Measurement.objects.create(indicator=vsv, year=YEAR, level=Level.INSTITUTION, value=Decimal(INSTITUTION_VALUE))
    Measurement.objects.create(indicator=kw, year=2017, level=Level.INSTITUTION, value=Decimal("50"))
    Measurement.objects.create(indicator=kw, year=YEAR, level=Level.INSTITUTION, value=Decimal("52.5"))
    for code, value in COLLEGE_VALUES.items():
        Measurement.objects.create(
            indicator=vsv, year=YEAR, level=Level.COLLEGE, college=colleges[code], value=Decimal(value)
        )
    for code, value in TEAM_VALUES.items():
        team = Team.objects.get(institution=inst, code=code)
        Measurement.objects.create(
            indicator=vsv,
            year=YEAR,
            level=Level.TEAM,
            college=team.college,
            team=team,
            value=Decimal(value),
            n=40,
        )
    context = dict(indicator=vsv, year=YEAR, level=Level.INSTITUTION)
    ContextValue.objects.create(**context, series="landelijk", value=Decimal("7.35"))
    ContextValue.objects.create(**context, dimension="vooropleiding", group="vmbo-b", value=Decimal("8.4444"), n=50)
    ContextValue.objects.create(**context, dimension="vooropleiding", group="havo", value=Decimal("3.7777"), n=12)
    ContextValue.objects.create(**context, dimension="vooropleiding", group="vso", value=Decimal("2.9999"), n=None)
    ContextValue.objects.create(
        indicator=vsv,
        year=YEAR,
        level=Level.COLLEGE,
        college=colleges["A100"],
        dimension="vooropleiding",
        group="vmbo-b",
        value=Decimal("4.1111"),
        n=100,
    )
    recompute_now(institution=inst, reason="test")
    t1 = Theme.objects.get(institution=inst, code="T1")
    measure = services.measure_create(
        college=None, theme=t1, title=PUBLIC_MEASURE, category=MeasureCategory.SUPPORT, public=True
    )
    services.measure_create(college=colleges["A100"], theme=t1, title=PRIVATE_MEASURE, category=MeasureCategory.SUPPORT)
    services.evidence_create(
        college=colleges["A100"],
        theme=t1,
        year=YEAR,
        kind=EvidenceKind.STORY,
        title=PUBLIC_EVIDENCE,
        text="Twintig werkgevers uit de regio kwamen kijken.",
        public=True,
    )
    services.evidence_create(
        college=colleges["B200"],
        team=Team.objects.get(institution=inst, code="B200-T1"),
        theme=t1,
        year=YEAR,
        kind=EvidenceKind.AUDIT,
        title=PRIVATE_EVIDENCE,
        text="Alleen voor intern gebruik.",
    )
    promise = services.promise_save(
        institution=inst,
        theme=t1,
        title="Iedereen een plek",
        promise="Geen jongere verlaat de school zonder plek.",
        target_groups=[TargetGroup.STARTERS],
        effect_outside="Minder jongeren zonder werk in de regio.",
        accountability="Jaarlijks aan de regiotafel.",
    )
    services.partner_agreement_save(promise=promise, partner="Gemeente Partnerstad", agreement="Samen een loket")
    Review.objects.create(college=colleges["A100"], year=YEAR, quadrimester=1, notes="Intern")
    users = {}
    for username, role in (("partner", Role.PARTNER), ("bestuur", Role.BOARD), ("beleid", Role.POLICY)):
        # Not the demo's usernames: a run that built the demo world earlier keeps those accounts.
        users[username] = get_user_model().objects.create_user(username=f"prt-{username}", password="x")
        Membership.objects.create(user=users[username], institution=inst, role=role)
    return {"inst": inst, "users": users, "measure": measure, "colleges": colleges}


def partner_client(world) -> Client:
    """Return a test client logged in as the partner."""
    client = Client()
    client.force_login(world["users"]["partner"])
    return client


# --- rights -------------------------------------------------------------------------------------


def test_partner_reads_only_the_public_account(world):
    """A partner may read the curated account, never the figures; the board may read both."""
    inst, users = world["inst"], world["users"]
    assert not can_read(users["partner"], inst)
    assert can_read_public(users["partner"], inst)
    assert can_read(users["bestuur"], inst) and can_read_public(users["bestuur"], inst)


def test_partner_role_refused_for_a_staff_account(world):
    """A staff account cannot be given the partner role: partners never reach the admin."""
    staff = get_user_model().objects.create_user(username="medewerker", password="x", is_staff=True)
    with pytest.raises(ValidationError, match="geen toegang tot het beheer"):
        Membership(user=staff, institution=world["inst"], role=Role.PARTNER).full_clean()


# Every URL a partner may open with 200 (logging in and out, passwords, the health check, the API's
# description, the admin's login form that says the account has no access) and the account itself.
ALLOWED_200 = {
    "healthz",
    "accounts/login/",
    "accounts/password_change/",
    "accounts/password_change/done/",
    "accounts/password_reset/",
    "accounts/password_reset/done/",
    "accounts/reset/<uidb64>/<token>/",
    "accounts/reset/done/",
    "admin/login/",
    "api/schema/",
    "api/docs/",
    "verantwoording/",
}


def all_patterns(patterns=None, prefix: str = ""):
    """Yield every URL pattern of the project as one string (route and regex parts joined)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _replace_groups(text: str, fill) -> str:
    """Replace each regex group `(?P<name>...)` (with nested parentheses) by fill(name)."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("(?P<", i):
            name = text[i + 4 : text.index(">", i)]
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(text[j], 0) if text[j - 1 : j] != "\\" else 0
                j += 1
                if depth == 0:
                    break
            out.append(fill(name))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def urls_for(pattern: str, candidates: dict[str, list[str]]) -> list[str]:
    """Return the pattern's concrete paths: each parameter filled with each candidate of its name."""
    names = re.findall(r"\(\?P<(\w+)>", pattern) + [m[1] for m in re.findall(r"<(?:(\w+):)?(\w+)>", pattern)]
    combos = [{}]
    for name in dict.fromkeys(names):
        combos = [{**c, name: value} for c in combos for value in candidates.get(name, ["1"])]
    paths = []
    for combo in combos:
        path = _replace_groups(pattern, lambda name, combo=combo: combo[name])
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, combo=combo: combo[m[1]], path)
        path = path.replace("^", "").replace("$", "").replace("\\", "").replace("/?", "/")
        paths.append("/" + path)
    return paths


def test_partner_gets_no_page_but_the_account(world):
    """Every URL pattern of the project, filled with real ids and codes, refuses a partner (no 200) but the allowed ones."""
    inst = world["inst"]
    ids = [
        str(pk) for model in (Measure, Evidence, Review, Promise) for pk in model.objects.values_list("pk", flat=True)
    ]
    ids += [str(pk) for pk in Measurement.objects.filter(indicator__institution=inst).values_list("pk", flat=True)[:3]]
    ids += [str(pk) for pk in ContextValue.objects.values_list("pk", flat=True)[:2]]
    candidates = {
        "code": ["A100", "vsv", "PRT", "T1", "A100-T1"],
        "team": ["A100-T1"],
        "team_code": ["A100-T1"],
        "indicator_code": ["vsv"],
        "pk": ids,
        "object_id": [str(world["measure"].pk)],
        "uidb64": ["MQ"],
        "token": ["abc-def"],
        "app_label": ["maatregelen"],
        "url": ["maatregelen/measure/"],
    }
    client = partner_client(world)
    seen, opened = 0, set()
    for pattern in all_patterns():
        for path in urls_for(pattern, candidates):
            response = client.get(path)
            seen += 1
            if response.status_code == 200:
                opened.add(pattern)
            if response.status_code in (301, 302):
                # A redirect ends on a login form or the account itself, never on a figure page.
                final = client.get(path, follow=True)
                if final.status_code == 200:
                    landed = final.request["PATH_INFO"]
                    assert landed.endswith("/login/") or landed == "/verantwoording/", (path, landed)
    assert opened <= ALLOWED_200, opened - ALLOWED_200
    assert "verantwoording/" in opened
    assert seen > 300  # the admin, every page and every API endpoint were tried


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/colleges/",
        "/dashboard/college/A100/",
        "/dashboard/college/A100/team/A100-T1/",
        "/dashboard/indicator/vsv/",
        "/dashboard/budget/",
        "/dashboard/export.xlsx",
        "/dashboard/afdrukken/",
        "/dashboard/veranderd/",
        "/dashboard/abonnementen/",
        "/invoer/college/A100/",
        "/invoer/college/A100/export.xlsx",
        "/invoer/college/A100/geschiedenis/A100-T1/vsv/",
        "/uploads/",
        "/vaststelling/",
        "/maatregelen/college/A100/",
        "/maatregelen/besteding/",
        "/maatregelen/manifest/",
        "/maatregelen/q-gesprekken/",
        "/teams/college/A100/",
        "/beleid/ambities/",
    ],
)
def test_partner_gets_the_dutch_403(world, path):
    """The figure pages, exports, uploads, history and policy pages answer a partner with the Dutch 403."""
    response = partner_client(world).get(path)
    assert response.status_code == 403
    assert "Geen" in response.content.decode() or "Alleen" in response.content.decode()


def test_partner_home_leads_to_the_account(world):
    """The front door sends a partner to /verantwoording/ instead of a page it may not read."""
    response = partner_client(world).get("/")
    assert response.status_code == 302 and response["Location"] == "/verantwoording/"


def test_partner_never_reaches_the_admin(world):
    """A partner (never staff) is sent to the admin's login form for every admin page."""
    response = partner_client(world).get("/admin/maatregelen/measure/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- the curated account --------------------------------------------------------------------------


def _nl(value: str) -> list[str]:
    """Return a value as the site could print it: every rounding to 1..4 decimals, with a comma."""
    number = Decimal(value)
    return sorted({f"{number.quantize(Decimal(1).scaleb(-places))}".replace(".", ",") for places in (1, 2, 3, 4)})


def test_account_shows_public_items_and_verdicts_only(world):
    """The account shows promises, verdicts, comparison, large groups and public items; no team, college or small group."""
    html = partner_client(world).get(f"/verantwoording/?jaar={YEAR}").content.decode()
    # What it shows.
    for text in (
        PUBLIC_MEASURE,
        PUBLIC_EVIDENCE,
        "Iedereen een plek",
        "Gemeente Partnerstad",
        "Voortijdig schoolverlaten",
        "behaald",
        "Landelijk",
        "7,35",
        "8,4444",
        "van 2 colleges gehaald",
    ):
        assert text in html, text
    assert "Er is nog niets openbaar gemaakt." not in html
    # What it never shows.
    inst = world["inst"]
    for team in Team.objects.filter(institution=inst):
        assert team.code not in html and team.name not in html, team.code
    for college in College.objects.filter(institution=inst):
        assert college.code not in html and college.name not in html, college.code
    hidden = [*TEAM_VALUES.values(), *COLLEGE_VALUES.values(), "3.7777", "2.9999", "4.1111"]
    for value in hidden:
        for printed in _nl(value):
            assert printed not in html, (value, printed)
    assert PRIVATE_MEASURE not in html and PRIVATE_EVIDENCE not in html
    assert "Alleen voor intern gebruik" not in html


def test_account_empty_state(world):
    """With nothing marked public and no promises the account says so in Dutch."""
    Measure.objects.update(public=False)
    Evidence.objects.update(public=False)
    Promise.objects.all().delete()
    html = partner_client(world).get("/verantwoording/").content.decode()
    assert "Er is nog niets openbaar gemaakt." in html
    assert PUBLIC_MEASURE not in html


def test_unknown_n_counts_as_small():
    """A breakdown group is shown to a partner only when its n is known and at least 20."""
    assert [shown_to_partner(n) for n in (None, 0, 19, 20, 500)] == [False, False, False, True, True]


def test_public_page_only_when_enabled(world, settings):
    """/openbaar/<code>/ is 404 unless that institution is listed in PUBLIC_ACCOUNTABILITY; then anyone reads it."""
    settings.PUBLIC_ACCOUNTABILITY = []
    assert Client().get("/openbaar/PRT/").status_code == 404
    settings.PUBLIC_ACCOUNTABILITY = ["ANDERE"]  # another school opened its own, not this one
    assert Client().get("/openbaar/PRT/").status_code == 404
    settings.PUBLIC_ACCOUNTABILITY = ["PRT"]
    response = Client().get("/openbaar/PRT/")
    assert response.status_code == 200
    html = response.content.decode()
    assert PUBLIC_MEASURE in html and PRIVATE_MEASURE not in html and "A100-T1" not in html
    assert Client().get("/openbaar/ONBEKEND/").status_code == 404


# --- marking public -------------------------------------------------------------------------------


def test_director_marks_own_measure_public_through_the_form(world):
    """The measure form's checkbox sets the flag through the service; an edit without it takes it back."""
    inst, a100 = world["inst"], world["colleges"]["A100"]
    director = get_user_model().objects.create_user(username="dir", password="x")
    Membership.objects.create(user=director, institution=inst, role=Role.DIRECTOR).colleges.set([a100])
    measure = Measure.objects.get(title=PRIVATE_MEASURE)
    client = Client()
    client.force_login(director)
    data = {**MeasureForm.initial_for(measure), "public": "on", "planned_budget_cents": "0"}
    data["theme"] = measure.theme_id
    response = client.post(f"/maatregelen/college/A100/maatregel/{measure.pk}/", data)
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.public is True
    del data["public"]
    client.post(f"/maatregelen/college/A100/maatregel/{measure.pk}/", data)
    measure.refresh_from_db()
    assert measure.public is False


def test_evidence_form_offers_the_flag(world):
    """The evidence form has one checkbox 'Openbaar voor partners' and shows the stored flag."""
    evidence = Evidence.objects.get(title=PUBLIC_EVIDENCE)
    form = EvidenceForm(college=world["colleges"]["A100"], initial=EvidenceForm.initial_for(evidence))
    assert form.fields["public"].label == "Openbaar voor partners"
    assert form.initial["public"] is True


def test_publication_keeps_to_the_college(world):
    """Only who may write the record marks it public: another college's director is refused."""
    b200 = world["colleges"]["B200"]
    measure = Measure.objects.get(title=PRIVATE_MEASURE)  # of A100
    with pytest.raises(PermissionDenied):
        services.publication_set(record=measure, public=True, allowed_colleges={b200.pk})
    services.publication_set(record=measure, public=True, allowed_colleges={measure.college_id})
    measure.refresh_from_db()
    assert measure.public is True
    assert measure.history.first().public is True


def test_measure_update_without_the_flag_keeps_it(world):
    """A caller that does not know the flag (an older API client) leaves it as it is."""
    measure = world["measure"]
    services.measure_update(
        measure=measure, theme=measure.theme, title=measure.title, category=measure.category, planned_budget_cents=0
    )
    measure.refresh_from_db()
    assert measure.public is True


def test_admin_action_publishes_through_the_service(world, client):
    """The admin's action marks rows public through the service; the change form keeps the flag read-only."""
    admin = get_user_model().objects.create_superuser(username="root", password="x")
    client.force_login(admin)
    measure = Measure.objects.get(title=PRIVATE_MEASURE)
    response = client.post(
        "/admin/maatregelen/measure/", {"action": "make_public", "_selected_action": [measure.pk]}, follow=True
    )
    assert response.status_code == 200
    measure.refresh_from_db()
    assert measure.public is True
    assert measure.history.first().history_user == admin
    page = client.get(f"/admin/maatregelen/measure/{measure.pk}/change/").content.decode()
    assert 'name="public"' not in page


def test_institution_is_unchanged_for_other_readers(world):
    """The board still reads every page (the partner rule changes nobody else's rights)."""
    client = Client()
    client.force_login(world["users"]["bestuur"])
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/verantwoording/").status_code == 200
    assert Institution.objects.filter(code="PRT").exists()


# --- in the browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", (390, 768, 1366))
def test_account_fits_the_screen(width, rocvaf_demo_tx, live_server, login, page, screenshot):
    """The demo partner's account never scrolls sideways, shows the public items and no team code."""
    from tests.rapportage.test_browser_responsive import misfits

    page.set_viewport_size({"width": width, "height": 900})
    login("partner")
    assert page.url.endswith("/verantwoording/")  # the front door sends a partner here
    page.goto(f"{live_server.url}/verantwoording/?jaar=2020")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Verantwoording")
    text = page.locator("main").inner_text()
    assert "Overstapcoaches vmbo-mbo" in text and "Van entree naar niveau 2 (synthetisch)" in text
    assert "Transformatieve school" not in text  # a measure of 5500 that stays internal
    assert not re.search(r"\b5[1-9]00-[A-Z]", text)  # no team code of the demo
    assert page.get_by_role("link", name="Overzicht").count() == 0  # the nav offers the account only
    assert misfits(page, "partner-verantwoording", width, screenshot) == []
