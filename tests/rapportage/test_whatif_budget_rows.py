"""A revision's budget preview (rapportage.whatif): whole theme rows, the central part and the reserve.

The preview's theme row must be what the budget page shows after saving: the theme's whole amount
(its central part included), the sums over all its colleges, and the later years' releases from
reserve the revision moves (domain.md "Budget, precisely" and "The reserve"). Each test builds its
own small institution (codes WIF...) next to the session's shared ones, and reads only its own.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agenda.models import College, Indicator, Membership, Theme
from agenda.services import agenda_load, ambition_revise, theme_share_revise
from indicatoren.models import Measurement
from invoer.uploads import upload_preview, verdict_effects
from rapportage import selectors
from rapportage.services import recompute_now
from rapportage.templatetags.kwaliteit import euro
from rapportage.whatif import budget_changes, revision_effects, theme_changes

SHARES = reverse("beleid:theme_shares")


# --- pure: two budget bodies in, rows out -------------------------------------------------------


def body(themes: list[dict]) -> dict:
    """Return a budget body (contracts.md section 4) holding only what the comparison reads."""
    return {"themes": themes}


def theme_body(code: str, amount: int, central: int, colleges: list[dict]) -> dict:
    """Return a theme of a budget body; its released from reserve is its colleges' sum, as the engine writes it."""
    return {
        "theme": code,
        "amount_cents": amount,
        "central_cents": central,
        "released_from_reserve_cents": sum(c["released_from_reserve_cents"] for c in colleges),
        "colleges": colleges,
    }


def part(college: str, amount: int, released: int = 0, reserved: int = 0, from_reserve: int = 0) -> dict:
    """Return a college's part of a theme."""
    return {
        "college": college,
        "amount_cents": amount,
        "released_cents": released,
        "reserved_cents": reserved,
        "released_from_reserve_cents": from_reserve,
    }


@pytest.mark.parametrize(
    ("before", "after", "parts", "theme_row"),
    [
        # A top-slice and an unchanged college: the theme row is the whole theme, not A's change.
        (
            theme_body("T1", 50_000, 5_000, [part("A", 22_500, 1_000, 4_625), part("B", 22_500, 0, 5_625)]),
            theme_body("T1", 50_000, 5_000, [part("A", 22_500, 0, 5_625), part("B", 22_500, 0, 5_625)]),
            [("A", 22_500, 22_500)],
            {"old_cents": 50_000, "new_cents": 50_000, "old_released_cents": 1_000, "new_released_cents": 0},
        ),
        # No active college: the theme's money is all central, and moves there only.
        (
            theme_body("T1", 50_000, 50_000, []),
            theme_body("T1", 54_545, 54_545, []),
            [(None, 50_000, 54_545)],
            {"old_cents": 50_000, "new_cents": 54_545, "old_central_cents": 50_000, "new_central_cents": 54_545},
        ),
        # Only a later year's release from reserve moves.
        (
            theme_body("T1", 100_000, 0, [part("A", 50_000), part("B", 50_000, from_reserve=12_500)]),
            theme_body("T1", 100_000, 0, [part("A", 50_000), part("B", 50_000)]),
            [("B", 50_000, 50_000)],
            {"old_released_from_reserve_cents": 12_500, "new_released_from_reserve_cents": 0},
        ),
        # A college that only one side has: its money moved to or from nothing.
        (
            theme_body("T1", 10_000, 0, [part("A", 10_000)]),
            theme_body("T1", 10_000, 0, [part("A", 5_000), part("B", 5_000)]),
            [("A", 10_000, 5_000), ("B", 0, 5_000)],
            {"old_cents": 10_000, "new_cents": 10_000, "difference_cents": 0},
        ),
    ],
)
def test_budget_rows_compare_whole_bodies(before, after, parts, theme_row):
    """Every part that moves is a row (college None: the central part); the theme row holds the whole theme."""
    old, new = {2020: body([before])}, {2020: body([after])}
    changes = budget_changes(old, new)
    assert [(c["college"], c["old_amount_cents"], c["new_amount_cents"]) for c in changes] == parts
    [row] = theme_changes(old, new)
    assert (row["year"], row["theme"]) == (2020, "T1")
    assert {key: row[key] for key in theme_row} == theme_row


def test_nothing_moved_gives_no_rows():
    """Equal bodies, or a year the bodies before did not have: no budget row, no theme row."""
    same = {2020: body([theme_body("T1", 100, 10, [part("A", 90, 5, 5, 3)])])}
    assert budget_changes(same, same) == [] and theme_changes(same, same) == []
    assert budget_changes({}, same) == [] and theme_changes({}, same) == []


# --- with the database: the preview against what the recompute then stores ---------------------


def agenda(code: str, *, central_pct=0, active=True, years=None) -> dict:
    """Return an agenda of two colleges A and B, themes T1 (with indicator I1) and T2 at 50 % each."""
    years = years or [{"year": 2020, "total_eur": 1000, "result_dependent_pct": 25, "central_pct": central_pct}]
    ambitions = [{"year": row["year"], "type": "improve"} for row in years]
    indicator = {
        "code": "I1",
        "name": "Indicator I1",
        "unit": "percent",
        "polarity": "higher",
        "levels": ["team", "college", "institution"],
        "ambitions": ambitions,
        "baseline": {"year": 2018},
    }
    return {
        "institution": {"code": code, "name": f"Test {code}"},
        "period": {"start": 2019, "end": 2022},
        "colleges": [{"code": c, "name": f"College {c}", "active": active} for c in "AB"],
        "themes": [
            {
                "code": "T1",
                "name": "Thema T1",
                "national": True,
                "budget_share_pct": 50,
                "ambition": "a",
                "goals": ["g"],
                "indicators": [indicator],
            },
            {
                "code": "T2",
                "name": "Thema T2",
                "national": False,
                "budget_share_pct": 50,
                "ambition": "a",
                "goals": ["g"],
                "indicators": [],
            },
        ],
        "budget": years,
    }


def value(institution, year: int, v, college: str | None = None) -> None:
    """Store a value of I1: a college's, or the institution's."""
    indicator = Indicator.objects.get(institution=institution, code="I1")
    if college:
        unit = College.objects.get(institution=institution, code=college)
        Measurement.objects.create(indicator=indicator, year=year, level="college", college=unit, value=Decimal(v))
    else:
        Measurement.objects.create(indicator=indicator, year=year, level="institution", value=Decimal(v))


def recompute(institution) -> None:
    """Recompute the institution; the run must succeed."""
    assert recompute_now(institution=institution, reason="test").state == "done"


def build(code: str, *, central_pct=0, active=True, b_2020="60", years=None):
    """Return an institution whose colleges both start at 50 in 2018; A has 60 in 2020, B `b_2020`."""
    institution = agenda_load(data=agenda(code, central_pct=central_pct, active=active, years=years)).institution
    value(institution, 2018, "50")
    for college in "AB":
        value(institution, 2018, "50", college)
    value(institution, 2020, "60", "A")
    value(institution, 2020, b_2020, "B")
    recompute(institution)
    return institution


def stored_theme_rows(institution) -> dict[tuple[int, str], dict]:
    """Return per year and theme the figures of the budget page's theme line, from the stored bodies."""
    rows = {}
    for year, stored in selectors.stored_budgets(institution).items():
        for theme in stored["themes"]:
            colleges = theme["colleges"]
            rows[(year, theme["theme"])] = {
                "cents": theme["amount_cents"],
                "central_cents": theme["central_cents"],
                "released_cents": sum(c["released_cents"] for c in colleges),
                "reserved_cents": sum(c["reserved_cents"] for c in colleges),
                "released_from_reserve_cents": theme["released_from_reserve_cents"],
            }
    return rows


THEME_KEYS = ("cents", "central_cents", "released_cents", "reserved_cents", "released_from_reserve_cents")


def one_side(row: dict, prefix: str) -> dict:
    """Return one side ("old" or "new") of a preview's theme row in stored_theme_rows' shape."""
    return {key: row[f"{prefix}_{key}"] for key in THEME_KEYS}


def preview_then_save(institution, apply):
    """Return the preview of `apply`, the stored bodies and theme rows before, and the theme rows after saving it."""
    bodies_before, rows_before = selectors.stored_budgets(institution), stored_theme_rows(institution)
    effects = revision_effects(institution, apply, key="test")
    apply()
    recompute(institution)
    return effects, bodies_before, rows_before, stored_theme_rows(institution)


def share_revision(institution, share: str):
    """Return the call that sets T1's share from 2020 on."""
    t1 = Theme.objects.get(institution=institution, code="T1")
    return lambda: theme_share_revise(theme=t1, from_year=2020, budget_share_pct=Decimal(share), reason="herijking")


def assert_rows_are_stored_figures(effects, bodies_before, rows_before, rows_after, institution):
    """Each theme row's was and wordt are the stored figures before and after; the parts are the recompute's."""
    assert effects.themes
    for row in effects.themes:
        key = (row["year"], row["theme"])
        assert one_side(row, "old") == rows_before[key], key
        assert one_side(row, "new") == rows_after[key], key
    assert budget_changes(bodies_before, selectors.stored_budgets(institution)) == effects.budget


@pytest.mark.django_db
def test_a_theme_row_is_the_stored_theme_amount_with_a_top_slice():
    """Central 10 %: T1's row says € 500 was (not the colleges' € 450), and equals the stored budget after saving."""
    institution = build("WIF1", central_pct=10)
    effects, *stored = preview_then_save(institution, share_revision(institution, "60"))
    t1 = next(row for row in effects.themes if row["theme"] == "T1")
    assert (t1["old_cents"], t1["old_central_cents"]) == (50_000, 5_000)
    assert_rows_are_stored_figures(effects, *stored, institution)
    assert any(change["college"] is None for change in effects.budget), "the central part moved too"


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "central_pct", "active"), [("WIF2", 0, False), ("WIF3", 100, True)])
def test_theme_money_moved_through_the_central_part_only_is_reported(code, central_pct, active):
    """No active college, or a 100 % top-slice: a share revision moves the themes' central parts, and shows it."""
    institution = build(code, central_pct=central_pct, active=active)
    effects, *stored = preview_then_save(institution, share_revision(institution, "60"))
    moved = {(c["theme"], c["college"]): (c["old_amount_cents"], c["new_amount_cents"]) for c in effects.budget}
    t1, t2 = moved[("T1", None)], moved[("T2", None)]
    assert t1[0] == t2[0] == 50_000 and t1[1] > 50_000 > t2[1] and t1[1] + t2[1] == 100_000
    assert all(college is None for _, college in moved)
    assert_rows_are_stored_figures(effects, *stored, institution)


@pytest.mark.django_db
def test_an_ambition_revision_row_is_the_whole_theme_not_the_one_college_it_flips():
    """B at 65 against a target of 62 stays met, A at 60 flips: T1's row holds both colleges' released cents."""
    institution = build("WIF4", b_2020="65")
    i1 = Indicator.objects.get(institution=institution, code="I1")
    effects, *stored = preview_then_save(
        institution,
        lambda: ambition_revise(indicator=i1, year=2020, type="target", target=Decimal("62"), reason="herijking"),
    )
    assert [(c["theme"], c["college"]) for c in effects.budget] == [("T1", "A")]
    [t1] = effects.themes
    # 25 % of each college's 250 euro is result-dependent: both released before, only B after.
    assert (t1["old_released_cents"], t1["new_released_cents"], t1["new_reserved_cents"]) == (12_500, 6_250, 6_250)
    assert_rows_are_stored_figures(effects, *stored, institution)


RESERVE_YEARS = [
    {"year": 2020, "total_eur": 1000, "result_dependent_pct": 25, "central_pct": 0},
    {"year": 2021, "total_eur": 1000, "result_dependent_pct": 0, "central_pct": 0},
]


def reserve_world(code: str):
    """Return an institution where B misses I1 in 2020 (€ 62,50 of T1 reserved) and meets it in 2021 (released)."""
    institution = build(code, b_2020="40", years=RESERVE_YEARS)
    for college in "AB":
        value(institution, 2021, "60", college)
    recompute(institution)
    assert stored_theme_rows(institution)[(2021, "T1")]["released_from_reserve_cents"] == 6_250
    return institution


def tolerant_ambition(institution):
    """Return the call that makes I1 2020 a maintain ambition with tolerance 20: B's 40 then meets it."""
    i1 = Indicator.objects.get(institution=institution, code="I1")
    return lambda: ambition_revise(indicator=i1, year=2020, type="maintain", tolerance=Decimal("20"), reason="h")


@pytest.mark.django_db
def test_a_later_years_release_from_reserve_is_part_of_the_preview():
    """B meets 2020 after the revision: 2020 releases € 62,50 more, 2021 releases € 62,50 less from reserve."""
    institution = reserve_world("WIF5")
    effects, *stored = preview_then_save(institution, tolerant_ambition(institution))
    changes = {(c["year"], c["college"]): c for c in effects.budget}
    assert set(changes) == {(2020, "B"), (2021, "B")}
    assert (changes[2020, "B"]["old_reserved_cents"], changes[2020, "B"]["new_reserved_cents"]) == (6_250, 0)
    later = changes[2021, "B"]
    assert (later["old_released_from_reserve_cents"], later["new_released_from_reserve_cents"]) == (6_250, 0)
    assert later["old_amount_cents"] == later["new_amount_cents"]
    assert_rows_are_stored_figures(effects, *stored, institution)


def member(institution, username: str, role: str) -> Client:
    """Return a client logged in as a new member of the institution with the role."""
    user = get_user_model().objects.create_user(username=username, password="x", email=f"{username}@example.nl")
    Membership.objects.create(user=user, institution=institution, role=role)
    client = Client()
    client.force_login(user)
    return client


def cells(html: str, pattern: str) -> list[str]:
    """Return the numeric cells of the table row whose opening tag matches `pattern`."""
    row = re.search(pattern + r"(.*?)</tr>", html, re.S)
    assert row, html[:2000]
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))


@pytest.mark.django_db
def test_the_preview_page_shows_the_stored_theme_amount_and_its_central_part():
    """'Voorbeeld bekijken' of T1 at 60 %: 'Bedrag was' € 500,00, gemeenschappelijke voorzieningen € 50,00 was."""
    institution = build("WIF6", central_pct=10)
    client = member(institution, "beleidWIF6", "beleid")
    data = {"theme": "T1", "from_year": 2020, "budget_share_pct": "60", "reason": "herijking"}
    html = client.post(SHARES, data).content.decode()
    year, was, becomes, _, central_was, central_becomes = cells(html, r'<tr data-theme-change="2020\|T1">')[:6]
    assert (year, was, central_was) == ("2020", euro(50_000), euro(5_000))
    # 60 of 110 % of € 1.000 is € 545,4545..: T2's larger remainder gets the last cent (domain.md, largest remainder).
    assert (becomes, central_becomes) == (euro(54_545), euro(5_454))
    assert "gemeenschappelijke voorzieningen</em>" in html


@pytest.mark.django_db
def test_the_preview_page_without_an_active_college_does_not_say_nothing_moves():
    """All money central: the page lists the moved theme amounts instead of 'Geen budgetbedrag verandert'."""
    institution = build("WIF7", active=False)
    client = member(institution, "beleidWIF7", "beleid")
    data = {"theme": "T1", "from_year": 2020, "budget_share_pct": "60", "reason": "herijking"}
    html = client.post(SHARES, data).content.decode()
    assert "Geen budgetbedrag verandert" not in html
    assert cells(html, r'<tr data-theme-change="2020\|T1">')[1:3] == [euro(50_000), euro(54_545)]


@pytest.mark.django_db
def test_an_upload_dry_run_shows_the_later_years_release_from_reserve(settings, tmp_path):
    """B's 2020 value at 60 by upload: the dry run and its page list 2021's release from reserve going to nothing."""
    settings.MEDIA_ROOT = tmp_path / "media"
    institution = reserve_world("WIF8")
    client = member(institution, "beleidWIF8", "beleid")
    user = get_user_model().objects.get(username="beleidWIF8")
    data = b"jaar;indicator;college;team;waarde;n\n2020;I1;B;;60;\n"
    upload = upload_preview(
        institution=institution, data=SimpleUploadedFile("b.csv", data), filename="b.csv", user=user
    )
    changes = {(c["year"], c["college"]): c for c in verdict_effects(upload)["budget"]}
    assert set(changes) == {(2020, "B"), (2021, "B")}
    assert changes[2021, "B"]["old_released_from_reserve_cents"] == 6_250
    html = client.get(reverse("uploads:detail", kwargs={"pk": upload.pk})).content.decode()
    assert "Uit reserve vrijgegeven nu" in html and euro(6_250) in html
