"""The agenda file cannot change what an approved (vastgesteld) year judged or paid.

domain.md, "Sign-off and locking": approved years are locked on every channel until policy staff
reopen them with a reason. The loader applied a file that ended a team before an approved year,
revised an approved year's ambition, a herijking reaching it, an indicator's colleges or the
year's budget. Now the whole load is refused, each change named with its path and the approval;
what moves no number (names, descriptions, factors) and later open years stay loadable.
"""

import copy
from decimal import Decimal

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda.choices import Level
from agenda.models import (
    AdditionalFund,
    AgendaLoad,
    Ambition,
    Applicability,
    BaselineRevision,
    BudgetYear,
    College,
    Indicator,
    Institution,
    Team,
    Theme,
    ThemeShareRevision,
)
from agenda.schema import validate_agenda
from agenda.services import AgendaLockedError, _refuse_locked_years, agenda_load
from indicatoren.models import Measurement
from indicatoren.signoff import signoff_approve, signoff_reopen
from tests.agenda.test_load_agenda import run_load
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db
CODE = "LKJ"
APPROVAL = "maar het jaar 2020 is voor het instellingsniveau vastgesteld op "
REOPEN = "wijzigen kan pas nadat een beleidsmedewerker het jaar heropent."


def base() -> dict:
    """Return the small agenda: colleges LK10 and LK20 with two teams each, themes T1 (vsv) and T2 (kw)."""
    data = agenda_spec(CODE, ["LK10", "LK20"])
    data["themes"][0]["additional_funds"] = [{"source": "Gemeente", "year": 2020, "amount_eur": 1000}]
    data["themes"][0]["indicators"][0]["factors"] = [{"name": "Economie", "effect": "+"}]
    return data


@pytest.fixture
def loaded():
    """Load the agenda with a 2020 team value, approve 2020 for every college and the institution; return it."""
    agenda_load(data=base(), source="v1")
    inst = Institution.objects.get(code=CODE)
    team = Team.objects.get(institution=inst, code="LK10-T1")
    Measurement.objects.create(
        indicator=Indicator.objects.get(institution=inst, code="vsv"),
        year=2020,
        level=Level.TEAM,
        college=team.college,
        team=team,
        value=Decimal("5.5"),
    )
    signoff_approve(institution=inst, year=2020, system=True)
    return inst


def rows() -> dict:
    """Return every agenda row of the institution that a load writes, to compare before and after."""
    models = (College, Team, Theme, Indicator, Ambition, Applicability, BaselineRevision, ThemeShareRevision)
    models += (AdditionalFund, BudgetYear, AgendaLoad)
    return {model.__name__: sorted(map(str, model.objects.values_list())) for model in models}


def refused(data: dict) -> list[str]:
    """Load `data`, assert it is refused with nothing changed, and return the errors."""
    before = rows()
    with pytest.raises(AgendaLockedError) as excinfo:
        agenda_load(data=data, source="v2")
    assert rows() == before
    return excinfo.value.errors


def vsv(data: dict) -> dict:
    return data["themes"][0]["indicators"][0]


def change_team(data):
    data["colleges"][0]["teams"][0]["active_until"] = 2019


def change_ambition(data):
    vsv(data)["ambitions"][0]["tolerance"] = 0.8


def change_share_revision(data):
    data["themes"][0]["revisions"] = [{"from": 2020, "budget_share_pct": 50, "reason": "herijking"}]
    data["themes"][1]["revisions"] = [{"from": 2020, "budget_share_pct": 50, "reason": "herijking"}]


def change_college_list(data):
    vsv(data)["colleges"] = ["LK10"]


def change_college_revision(data):
    vsv(data)["revisions"] = [{"from": 2020, "colleges": ["LK10"], "reason": "herijking"}]


def change_baseline_revision(data):
    vsv(data)["revisions"] = [{"from": 2020, "baseline": {"year": 2018, "value": 6.1}, "reason": "herijking"}]


def change_baseline(data):
    vsv(data)["baseline"]["value"] = 6.8


def change_polarity(data):
    vsv(data)["polarity"] = "higher"


def change_levels(data):
    vsv(data)["levels"] = ["institution"]


def change_theme_share(data):
    data["themes"][0]["budget_share_pct"] = 55
    data["themes"][1]["budget_share_pct"] = 45


def change_budget(data):
    data["budget"][0]["total_eur"] = 1200000


def change_fund(data):
    data["themes"][0]["additional_funds"][0]["amount_eur"] = 2000


def add_earlier_budget(data):
    data["budget"].insert(0, {"year": 2019, "total_eur": 900000, "result_dependent_pct": 25})


def move_indicator(data):
    data["themes"][1]["indicators"].append(data["themes"][0]["indicators"].pop())


CHANGES = [
    (change_team, "colleges[0].teams[0]: Met deze actieve jaren telt team LK10-T1 anders mee in 2020, maar het jaar"),
    (
        change_ambition,
        "themes[0].indicators[0].ambitions[0]: De ambitie van vsv voor 2020 verandert het oordeel in 2020",
    ),
    (change_share_revision, "themes[0].revisions[0]: Het budgetaandeel van T1 vanaf 2020 verandert het budget in 2020"),
    (change_college_list, "themes[0].indicators[0].colleges: De toepasbaarheid van vsv vanaf het begin verandert"),
    (change_college_revision, "themes[0].indicators[0].revisions[0].colleges: De toepasbaarheid van vsv vanaf 2020"),
    (change_baseline_revision, "themes[0].indicators[0].revisions[0].baseline: De nulmeting van vsv vanaf 2020"),
    (change_baseline, "themes[0].indicators[0].baseline: De nulmeting van vsv verandert de oordelen in 2020"),
    (change_polarity, "themes[0].indicators[0].polarity: De richting van vsv verandert de oordelen in 2020"),
    (change_levels, "themes[0].indicators[0].levels: Alleen op instellingsniveau meten of niet verandert"),
    (change_theme_share, "themes[0].budget_share_pct: Het budgetaandeel van T1 verandert het budget in 2020"),
    (change_budget, "budget[0]: Het budget van 2020 verandert de verdeling in 2020, "),
    (change_fund, "themes[0].additional_funds[0]: Het bedrag uit ‘Gemeente’ verandert het budgetoverzicht in 2020"),
    (add_earlier_budget, "budget[0]: Het budget van 2019 verandert de verdeling in 2020, "),
    (move_indicator, "themes[1].indicators[1]: Indicator vsv naar thema T2 (was T1) verandert het budget in 2020"),
]


@pytest.mark.parametrize(("change", "start"), CHANGES, ids=[change.__name__ for change, _ in CHANGES])
def test_a_change_that_moves_an_approved_year_refuses_the_whole_load(loaded, change, start):
    """Each change is refused with its path, the year and the approval; nothing of the file is written."""
    data = base()
    data["colleges"][1]["name"] = "Een nieuwe naam die ook niet wordt geschreven"
    change(data)
    error, *others = refused(data)  # a share revision of T1 comes with one of T2
    assert error.startswith(start), error
    assert len(others) == (change in (change_share_revision, change_theme_share))
    assert " in 2020, maar het jaar 2020 is voor " in error and error.endswith(REOPEN)
    assert College.objects.get(institution=loaded, code="LK20").name == "College LK20"


def test_every_refused_change_is_named_at_once(loaded):
    """A file with three locked changes names all three, in file order, as the loader's other errors."""
    data = base()
    for change in (change_team, change_ambition, change_budget):
        change(data)
    errors = refused(data)
    assert [error.partition(":")[0] for error in errors] == [
        "colleges[0].teams[0]",
        "themes[0].indicators[0].ambitions[0]",
        "budget[0]",
    ]


def test_the_command_exits_1_naming_the_change_and_how_to_go_on(loaded, tmp_path):
    """load_agenda prints the refusal (not 'ongeldig'), the path and the approval; nothing changes."""
    data = base()
    change_ambition(data)
    path = tmp_path / "agenda.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    before = rows()
    status, _, err = run_load(path)
    assert status == 1
    assert "vastgesteld jaar" in err and "niets gewijzigd" in err and "ongeldig" not in err
    assert "themes[0].indicators[0].ambitions[0]: De ambitie van vsv voor 2020 verandert het oordeel in 2020" in err
    assert "reopen --year" in err
    assert rows() == before


def test_what_moves_no_number_and_later_open_years_still_load(loaded):
    """Names, descriptions, goals, factors and a note load; so do herijkingen, budget and funds from 2021 on."""
    data = base()
    data["institution"]["name"] = "Nieuwe naam"
    data["colleges"][0]["name"] = "Hernoemd"
    data["colleges"][0]["teams"][0]["name"] = "Team hernoemd"
    data["colleges"][0]["teams"][1]["active_until"] = 2019  # no values: counts alike either way
    data["themes"][0]["goals"] = ["Minder uitval"]
    data["themes"][0]["additional_funds"][0]["note"] = "toelichting"
    data["themes"][0]["additional_funds"].append({"source": "RIF", "year": 2021, "amount_eur": 500})
    data["themes"][0]["revisions"] = [{"from": 2021, "budget_share_pct": 50, "reason": "herijking"}]
    data["themes"][1]["revisions"] = [{"from": 2021, "budget_share_pct": 50, "reason": "herijking"}]
    vsv(data).update(name="vsv hernoemd", description="nieuw", unit="percent")
    vsv(data)["factors"] = [{"name": "Economie", "effect": "-", "description": "conjunctuur"}]
    vsv(data)["revisions"] = [{"from": 2021, "colleges": ["LK10"], "baseline": {"year": 2019, "value": 6}}]
    vsv(data)["ambitions"].append({"year": 2022, "type": "target", "target": 5})
    data["budget"].append({"year": 2021, "total_eur": 1000000, "result_dependent_pct": 25})
    report = agenda_load(data=data, source="v2")
    assert report.changes
    assert Indicator.objects.get(institution=loaded, code="vsv").name == "vsv hernoemd"
    assert BudgetYear.objects.filter(institution=loaded, year=2021).exists()
    # The same file again: nothing to write, nothing refused.
    assert not agenda_load(data=data, source="v2").changes


def test_an_ambition_borrowed_by_an_approved_year_is_locked_with_it(loaded):
    """2019 has no ambition of its own and is judged against 2020's: with 2019 approved, 2020's is locked too."""
    signoff_reopen(institution=loaded, year=2020, reason="correctie", system=True)
    signoff_approve(institution=loaded, year=2019, system=True)
    data = base()
    change_ambition(data)
    (error,) = refused(data)
    assert error.startswith(
        "themes[0].indicators[0].ambitions[0]: De ambitie van vsv voor 2020 verandert het oordeel in 2019"
    )


def test_a_herijking_the_previous_load_set_cannot_be_removed_from_an_approved_year(loaded):
    """A college list from 2020 the file set is removed when the file drops it: refused while 2020 is approved."""
    signoff_reopen(institution=loaded, year=2020, reason="herijking", system=True)
    data = base()
    change_college_revision(data)
    agenda_load(data=data, source="v2")
    signoff_approve(institution=loaded, year=2020, system=True)
    (error,) = refused(base())
    assert error.startswith("themes[0].indicators[0].revisions: Zonder de toepasbaarheid van vsv vanaf 2020 veranderen")


def test_a_period_that_drops_an_approved_year_is_refused_and_one_that_keeps_it_loads(loaded):
    """2019-2022 to 2021-2022 drops approved 2020; to 2019-2023 it keeps 2019-2022 as they were (2022 open)."""
    data = base()
    data["period"]["start"] = 2021
    data["budget"] = []
    (error,) = refused(data)
    assert error.startswith("period: De periode 2021-2022 (was 2019-2022) verandert de oordelen en het budget in 2020")
    data = base()
    data["period"]["end"] = 2023
    agenda_load(data=data, source="v2")
    assert Institution.objects.get(pk=loaded.pk).period_end == 2023


def test_the_institution_form_asks_the_same_rule_for_the_period(loaded):
    """The admin's institution form (full_clean) refuses a start after approved 2019 beside 'eerste jaar'."""
    signoff_approve(institution=loaded, year=2019, system=True)
    loaded.period_start = 2020
    with pytest.raises(ValidationError) as excinfo:
        loaded.full_clean()
    (message,) = excinfo.value.message_dict["period_start"]
    assert message.startswith("De periode 2020-2022 (was 2019-2022) verandert de oordelen en het budget in 2019, maar")


def test_after_policy_staff_reopen_the_year_the_file_loads(loaded):
    """The lock holds until the year is reopened with a reason, as for values and herijkingen."""
    data = base()
    for change, _ in CHANGES:
        if change not in (move_indicator, change_levels):  # vsv stays in T1, measured per college
            change(data)
    signoff_reopen(institution=loaded, year=2020, reason="nieuwe agenda", system=True)
    agenda_load(data=data, source="v2")
    assert Team.objects.get(institution=loaded, code="LK10-T1").active_until == 2019
    assert BudgetYear.objects.get(institution=loaded, year=2020).total_cents == 120000000


def test_a_college_approved_alone_locks_what_moves_its_verdicts_and_cents(loaded):
    """With 2020 approved for LK20 only, LK10's team is free, a 2020 ambition (every college's verdict) is not."""
    signoff_reopen(institution=loaded, year=2020, reason="correctie", system=True)
    signoff_approve(
        institution=loaded, year=2020, college=College.objects.get(institution=loaded, code="LK20"), system=True
    )
    data = base()
    change_team(data)
    change_ambition(data)
    (error,) = refused(data)
    assert error.startswith("themes[0].indicators[0].ambitions[0]: ")
    assert "het jaar 2020 is voor college LK20 vastgesteld op " in error


def test_a_load_asks_for_approvals_once(loaded):
    """Before any approval a changing load costs two queries (colleges, approvals); the same file costs none."""
    signoff_reopen(institution=loaded, year=2020, reason="correctie", system=True)
    stored = Institution.objects.get(pk=loaded.pk)
    from agenda.selectors import agenda_spec as stored_spec

    current = stored_spec(stored)
    data = base()
    for change, _ in CHANGES:
        if change is not change_levels:  # its own list needs vsv measured per college
            change(data)
    spec = validate_agenda(copy.deepcopy(data))
    with CaptureQueriesContext(connection) as queries:
        _refuse_locked_years(stored, current, spec, set())
    assert len(queries) == 2, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        _refuse_locked_years(stored, current, validate_agenda(base()), set())
    assert len(queries) == 0
