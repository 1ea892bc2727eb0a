"""Applicability and herijking from a year on (contracts.md section 5, domain.md "The agenda changes over time")."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agenda.models import Applicability, College, Indicator, Institution, ThemeShareRevision
from agenda.schema import AgendaFileError, spec_state, validate_agenda
from agenda.selectors import (
    agenda_document,
    indicator_baseline,
    indicator_colleges,
    not_applicable,
    theme_shares,
)
from agenda.services import agenda_load, applicability_revise, theme_share_revise
from tests.agenda.test_load_agenda import rocvaf

ENTREE = ["5100", "5110", "5200", "5210", "5300", "5400", "5500", "5800", "7100", "7200"]


def indicator(data: dict, code: str) -> dict:
    """Return the indicator `code` of an agenda document."""
    return next(i for t in data["themes"] for i in t["indicators"] if i["code"] == code)


def theme(data: dict, code: str) -> dict:
    """Return the theme `code` of an agenda document."""
    return next(t for t in data["themes"] if t["code"] == code)


def with_herijking() -> dict:
    """Return the shipped agenda with a herijking from 2021: entree drops 5100, shares T1 20 / T2 30, 2b baseline."""
    data = rocvaf()
    indicator(data, "2a-entree")["colleges"] = ENTREE
    indicator(data, "2a-entree")["revisions"] = [
        {"from": 2021, "colleges": [c for c in ENTREE if c != "5100"], "reason": "5100 stopt met entree"}
    ]
    indicator(data, "2b")["revisions"] = [{"from": 2021, "baseline": {"year": 2019, "value": 6.5}}]
    theme(data, "T1")["revisions"] = [{"from": 2021, "budget_share_pct": 20}]
    theme(data, "T2")["revisions"] = [{"from": 2021, "budget_share_pct": 30, "reason": "herijking 2020"}]
    return data


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (
            lambda d: indicator(d, "2a-entree").update(colleges=["5100", "9999"]),
            "themes[1].indicators[0].colleges[1]",
            "onbekende collegecode '9999'",
        ),
        (
            lambda d: indicator(d, "2a-entree").update(colleges=["5100", "5100"]),
            "themes[1].indicators[0].colleges[1]",
            "twee keer",
        ),
        (lambda d: indicator(d, "2a-entree").update(colleges=[]), "themes[1].indicators[0].colleges", "minstens één"),
        (
            lambda d: indicator(d, "2a-n2").update(revisions=[{"from": 2023, "colleges": ["5100"]}]),
            "themes[1].indicators[1].revisions[0].from",
            "2023 valt buiten de periode 2019-2022",
        ),
        (
            lambda d: indicator(d, "2a-n2").update(
                revisions=[{"from": 2021, "colleges": ["5100"]}, {"from": 2021, "colleges": ["5110"]}]
            ),
            "themes[1].indicators[1].revisions[1].from",
            "twee keer",
        ),
        (
            lambda d: indicator(d, "2a-n2").update(revisions=[{"from": 2021, "colleges": ["5100", "51OO"]}]),
            "themes[1].indicators[1].revisions[0].colleges[1]",
            "onbekende collegecode",
        ),
        (
            lambda d: indicator(d, "2a-n2").update(revisions=[{"from": 2021}]),
            "themes[1].indicators[1].revisions[0]",
            "geef colleges of baseline",
        ),
        (
            lambda d: indicator(d, "2a-n2").update(revisions=[{"form": 2021, "colleges": ["5100"]}]),
            "themes[1].indicators[1].revisions[0].form",
            "bedoelde u 'from'",
        ),
        (lambda d: indicator(d, "3c").update(colleges=["5100"]), "themes[2].indicators[2].colleges", "per college"),
        (
            lambda d: indicator(d, "2b").update(revisions=[{"from": 2021, "baseline": {"year": 2019, "value": 101}}]),
            "themes[1].indicators[2].revisions[0].baseline.value",
            "buiten",
        ),
        (
            lambda d: theme(d, "T1").update(revisions=[{"from": 2018, "budget_share_pct": 25}]),
            "themes[0].revisions[0].from",
            "buiten de periode",
        ),
        (
            lambda d: theme(d, "T1").update(
                revisions=[{"from": 2021, "budget_share_pct": 25}, {"from": 2021, "budget_share_pct": 20}]
            ),
            "themes[0].revisions[1].from",
            "twee keer",
        ),
        (
            lambda d: theme(d, "T1").update(revisions=[{"from": 2021, "budget_share_pct": 30}]),
            "themes",
            "vanaf 2021 tellen de budget_share_pct van de thema's op tot 105, niet tot 100",
        ),
        (
            lambda d: [
                theme(d, code).update(revisions=[{"from": 2022, "budget_share_pct": share}])
                for code, share in (("T1", 60), ("T2", 10), ("T3", 10), ("T4", 10))
            ],
            "themes",
            "vanaf 2022 krijgen de landelijke thema's samen 30 %, minder dan een derde",
        ),
        (
            lambda d: theme(d, "T1").update(revisions=[{"from": 2021, "budget_share_pct": 101}]),
            "themes[0].revisions[0].budget_share_pct",
            "buiten",
        ),
    ],
)
def test_applicability_and_revisions_are_checked_with_their_path(mutate, path, fragment):
    """Each mistake in colleges or revisions is reported with its path in the file, in Dutch."""
    data = rocvaf()
    mutate(data)
    with pytest.raises(AgendaFileError) as excinfo:
        validate_agenda(data)
    assert any(e.startswith(f"{path}:") and fragment in e for e in excinfo.value.errors), excinfo.value.errors


def test_balanced_share_revisions_are_accepted():
    """Shares that add up to 100 in every year, revisions included, are valid."""
    spec = validate_agenda(with_herijking())
    assert theme_revisions(spec) == {"T1": [(2021, Decimal(20))], "T2": [(2021, Decimal(30))]}


def theme_revisions(spec: dict) -> dict:
    """Return {theme code: [(from, share)]} of the themes with revisions."""
    return {
        t["code"]: [(r["from"], r["budget_share_pct"]) for r in t["revisions"]]
        for t in spec["themes"]
        if t["revisions"]
    }


@pytest.mark.django_db
def test_a_revision_from_2021_applies_from_2021_and_leaves_2019_and_2020_alone():
    """Entree without 5100 from 2021: 5100 counts in 2019-2020 and not from 2021; both lists stay stored."""
    inst = agenda_load(data=with_herijking()).institution
    entree = Indicator.objects.get(institution=inst, code="2a-entree")
    ids = dict(College.objects.filter(institution=inst).values_list("code", "id"))
    result = not_applicable(inst, [2019, 2020, 2021, 2022])
    entree_out = {(year, college) for indicator_id, year, college in result if indicator_id == entree.pk}
    assert entree_out == {(y, ids[c]) for y in (2019, 2020) for c in ("5810", "7110")} | {
        (y, ids[c]) for y in (2021, 2022) for c in ("5100", "5810", "7110")
    }
    assert indicator_colleges(entree, 2020) == ENTREE
    assert indicator_colleges(entree, 2021) == ENTREE[1:]
    assert sorted(entree.applicability.values_list("from_year", flat=True), key=lambda y: y or 0) == [None, 2021]
    assert not_applicable(inst, [2021]) == {(i, y, c) for i, y, c in result if y == 2021}


@pytest.mark.django_db
def test_theme_shares_follow_the_revision_in_force_each_year():
    """T1 25 -> 20 and T2 25 -> 30 from 2021; 2019 and 2020 keep 25/25/25/15/10, in theme order."""
    inst = agenda_load(data=with_herijking()).institution
    before = [("T1", 25, False), ("T2", 25, True), ("T3", 25, True), ("T4", 15, True), ("T5", 10, False)]
    after = [("T1", 20, False), ("T2", 30, True), ("T3", 25, True), ("T4", 15, True), ("T5", 10, False)]
    for year, expected in ((2019, before), (2020, before), (2021, after), (2022, after)):
        shares = theme_shares(inst, year)
        assert shares == [(code, Decimal(share), national) for code, share, national in expected]
        assert all(isinstance(share, Decimal) for _, share, _ in shares)


@pytest.mark.django_db
def test_a_baseline_revision_applies_from_its_year():
    """2b keeps its 2016 baseline 6.7 until 2020 and uses 2019 / 6.5 from 2021."""
    inst = agenda_load(data=with_herijking()).institution
    vsv = Indicator.objects.get(institution=inst, code="2b")
    assert indicator_baseline(vsv, 2020) == (2016, Decimal("6.7"))
    assert indicator_baseline(vsv, 2021) == (2019, Decimal("6.5"))
    assert indicator_baseline(Indicator.objects.get(institution=inst, code="1a"), 2022) == (2017, Decimal("6.7"))


@pytest.mark.django_db
def test_a_revision_without_an_own_list_applies_to_every_college_before_it():
    """Niveau 2 with only a revision from 2022 applies to every college until 2021."""
    data = rocvaf()
    indicator(data, "2a-n2").pop("colleges", None)
    indicator(data, "2a-n2")["revisions"] = [{"from": 2022, "colleges": ["5100", "5110"]}]
    inst = agenda_load(data=data).institution
    niveau2 = Indicator.objects.get(institution=inst, code="2a-n2")
    assert indicator_colleges(niveau2, 2021) is None
    assert indicator_colleges(niveau2, 2022) == ["5100", "5110"]
    assert {(y, c) for i, y, c in not_applicable(inst, inst.years) if i == niveau2.pk} == {
        (2022, c.pk) for c in College.objects.filter(institution=inst).exclude(code__in=["5100", "5110"])
    }


@pytest.mark.django_db
def test_the_backup_document_keeps_applicability_and_revisions():
    """agenda_document writes the colleges and revisions so that the file reads back to the same settings."""
    data = with_herijking()
    inst = agenda_load(data=data).institution
    document = agenda_document(inst)
    assert indicator(document, "2a-entree")["colleges"] == ENTREE
    assert theme(document, "T2")["revisions"] == [{"from": 2021, "budget_share_pct": 30, "reason": "herijking 2020"}]
    assert spec_state(validate_agenda(document)) == spec_state(validate_agenda(data))


@pytest.mark.django_db
def test_app_revisions_from_a_year_keep_earlier_years_and_history():
    """A share revised twice from 2021 keeps both values in history; a year outside the period is refused."""
    inst = agenda_load(data=rocvaf()).institution
    t2 = inst.themes.get(code="T2")
    theme_share_revise(theme=t2, from_year=2021, budget_share_pct=Decimal(30), reason="herijking")
    theme_share_revise(theme=t2, from_year=2021, budget_share_pct=Decimal(28), reason="herijking, bijgesteld")
    revision = ThemeShareRevision.objects.get(theme=t2)
    assert [h.budget_share_pct for h in revision.history.order_by("history_date")] == [30, 28]
    assert [share for code, share, _ in theme_shares(inst, 2020) if code == "T2"] == [25]
    with pytest.raises(ValidationError):
        theme_share_revise(theme=t2, from_year=2023, budget_share_pct=Decimal(30), reason="te laat")
    entree = Indicator.objects.get(institution=inst, code="2a-entree")
    applicability_revise(
        indicator=entree,
        from_year=2022,
        colleges=College.objects.filter(institution=inst, code__in=["5100", "5200"]),
        reason="herijking",
    )
    assert indicator_colleges(entree, 2021) == ENTREE
    assert indicator_colleges(entree, 2022) == ["5100", "5200"]
    with pytest.raises(ValidationError):
        applicability_revise(indicator=entree, from_year=2021, colleges=[], reason="geen")
    assert Applicability.objects.filter(indicator=entree).count() == 2
    assert Institution.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_shows_revisions_and_the_policy_pages_write_them(client, django_user_model):
    """The college lists and share revisions show in the admin; a share revision posted there is not stored.

    The policy page Budgetaandelen writes it through theme_share_revise, with its dry run, year and
    reason checks (tests/invoer/test_policy_pages.py); the inline had skipped all three.
    """
    inst = agenda_load(data=rocvaf()).institution
    user = django_user_model.objects.create_superuser("beheer", "beheer@example.org", "geheim")
    client.force_login(user)
    entree = Indicator.objects.get(institution=inst, code="2a-entree")
    page = client.get(f"/admin/agenda/indicator/{entree.pk}/change/")
    assert page.status_code == 200
    assert "herijk op de beleidspagina toepasbaarheid van indicatoren" in page.content.decode().lower()
    t2 = inst.themes.get(code="T2")
    form = client.get(f"/admin/agenda/theme/{t2.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "id"}
    data.update(
        {
            "goals-TOTAL_FORMS": 0,
            "goals-INITIAL_FORMS": 0,
            "share_revisions-TOTAL_FORMS": 1,
            "share_revisions-INITIAL_FORMS": 0,
            "share_revisions-0-from_year": 2015,
            "share_revisions-0-budget_share_pct": "30",
            "share_revisions-0-reason": "",
        }
    )
    client.post(f"/admin/agenda/theme/{t2.pk}/change/", data)
    assert not ThemeShareRevision.objects.filter(theme=t2).exists()
    assert client.get("/admin/agenda/agendaload/").status_code == 200
