"""load_agenda never silently undoes the application's revisions (domain.md, "The agenda changes over time")."""

from decimal import Decimal

import pytest
import yaml

from agenda.models import (
    AgendaLoad,
    Ambition,
    Applicability,
    BaselineRevision,
    College,
    Factor,
    FactorRevision,
    Indicator,
    Institution,
    Team,
    Theme,
    ThemeShareRevision,
)
from agenda.selectors import indicator_colleges, theme_shares
from agenda.services import (
    AgendaConflictError,
    agenda_load,
    ambition_revise,
    applicability_revise,
    factor_save,
    team_update,
    theme_share_revise,
)
from tests.agenda.test_applicability import ENTREE, indicator, theme
from tests.agenda.test_load_agenda import rocvaf, run_load, snapshot

pytestmark = pytest.mark.django_db

CONFLICTS = [
    "indicator 1a: ambitie 2022",
    "indicator 2b: ambitie 2020",
    "team 5100-ENT: name",
    "thema T2: budget_share_pct vanaf 2021",
    "indicator 2a-entree: colleges vanaf 2021",
]


def agenda_file(tmp_path) -> tuple:
    """Write the shipped agenda plus a team and a herijking from 2021 to a file; return (path, data)."""
    data = rocvaf()
    data["colleges"][0]["teams"] = [{"code": "5100-ENT", "name": "Entree Zuidoost"}]
    theme(data, "T1")["revisions"] = [{"from": 2021, "budget_share_pct": 20}]
    theme(data, "T2")["revisions"] = [{"from": 2021, "budget_share_pct": 30}]
    indicator(data, "2a-entree")["colleges"] = ENTREE
    indicator(data, "2a-entree")["revisions"] = [{"from": 2021, "colleges": ENTREE[1:]}]
    path = tmp_path / "agenda.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path, data


def everything() -> dict:
    """Return every agenda row, revisions and college lists included, to compare before and after."""
    state = snapshot()
    for model in (ThemeShareRevision, BaselineRevision, AgendaLoad):
        state[model.__name__] = sorted(map(str, model.objects.values_list()))
    state["Applicability"] = sorted(
        (a.indicator.code, a.from_year or 0, tuple(sorted(a.colleges.values_list("code", flat=True))))
        for a in Applicability.objects.all()
    )
    return state


def five_app_revisions(inst: Institution) -> None:
    """Revise five settings of the file in the application, as policy staff and a director would."""
    ambition_revise(
        indicator=Indicator.objects.get(institution=inst, code="1a"),
        year=2022,
        type="target",
        target=Decimal("7.0"),
        reason="Herijking 2020",
    )
    ambition_revise(
        indicator=Indicator.objects.get(institution=inst, code="2b"),
        year=2020,
        type="maintain",
        tolerance=Decimal("0.3"),
        reason="Herijking 2020",
    )
    team_update(team=Team.objects.get(code="5100-ENT"), name="Entree en Oriëntatie Zuidoost", active_until=None)
    theme_share_revise(
        theme=Theme.objects.get(institution=inst, code="T2"),
        from_year=2021,
        budget_share_pct=Decimal(35),
        reason="Herijking 2020",
    )
    applicability_revise(
        indicator=Indicator.objects.get(institution=inst, code="2a-entree"),
        from_year=2021,
        colleges=College.objects.filter(institution=inst, code__in=ENTREE),
        reason="5100 gaat toch door met entree",
    )


def test_reloading_after_five_app_revisions_stops_names_all_five_and_changes_nothing(tmp_path):
    """Exit 1 with each of the five revisions named in Dutch; the database stays as the application left it."""
    path, _ = agenda_file(tmp_path)
    assert run_load(path)[0] == 0
    five_app_revisions(Institution.objects.get(code="ROCVAF"))
    before = everything()
    status, out, err = run_load(path)
    assert status == 1
    assert "5 wijziging(en) uit de applicatie" in err and "niets gewijzigd" in err and "--file-wins" in err
    for label in CONFLICTS:
        assert f"  {label}: na de vorige load in de applicatie gewijzigd in ‘" in err, label
    assert (
        "  indicator 1a: ambitie 2022: na de vorige load in de applicatie gewijzigd in ‘target 7’"
        " (was ‘target 7.1, indicatief’); het bestand zegt ‘target 7.1, indicatief’\n"
    ) in err
    assert (
        "  team 5100-ENT: name: na de vorige load in de applicatie gewijzigd in ‘Entree en Oriëntatie Zuidoost’"
        " (was ‘Entree Zuidoost’); het bestand zegt ‘Entree Zuidoost’\n"
    ) in err
    assert (
        "  thema T2: budget_share_pct vanaf 2021: na de vorige load in de applicatie gewijzigd in ‘35’ (was ‘30’)"
        in err
    )
    assert len([line for line in err.splitlines() if line.startswith("  ")]) == 5
    assert everything() == before


def test_file_wins_applies_the_file_and_keeps_the_app_revisions_in_history(tmp_path):
    """--file-wins puts the file's values in force; the five app revisions stay in history and in the load's record."""
    path, _ = agenda_file(tmp_path)
    run_load(path)
    inst = Institution.objects.get(code="ROCVAF")
    five_app_revisions(inst)
    status, out, _ = run_load_file_wins(path)
    assert status == 0
    assert "Het bestand wint van 5 wijziging(en) uit de applicatie" in out

    one_a = Ambition.objects.filter(indicator__code="1a", year=2022).order_by("revision")
    assert [(a.revision, a.target.normalize()) for a in one_a] == [
        (1, Decimal("7.1")),
        (2, Decimal("7")),
        (3, Decimal("7.1")),
    ]
    assert "--file-wins" in one_a.last().reason and one_a[1].reason == "Herijking 2020"
    vsv = Ambition.objects.filter(indicator__code="2b", year=2020).order_by("revision")
    assert [a.tolerance.normalize() for a in vsv] == [Decimal("0.5"), Decimal("0.3"), Decimal("0.5")]

    team = Team.objects.get(code="5100-ENT")
    assert team.name == "Entree Zuidoost"
    assert "Entree en Oriëntatie Zuidoost" in team.history.values_list("name", flat=True)

    assert [s for code, s, _ in theme_shares(inst, 2021) if code == "T2"] == [30]
    revision = ThemeShareRevision.objects.get(theme__code="T2", from_year=2021)
    assert 35 in revision.history.values_list("budget_share_pct", flat=True)

    entree = Indicator.objects.get(institution=inst, code="2a-entree")
    assert indicator_colleges(entree, 2021) == ENTREE[1:]
    assert Applicability.objects.get(indicator=entree, from_year=2021).history.count() >= 2

    load = AgendaLoad.objects.filter(institution=inst).latest("id")
    assert load.file_wins
    assert sorted(o["label"] for o in load.overridden) == sorted(CONFLICTS)
    assert {o["label"]: o["app"] for o in load.overridden}["thema T2: budget_share_pct vanaf 2021"] == "35"

    # The file now agrees with the database: loading it again is quiet and changes nothing.
    before = everything()
    status, out, _ = run_load(path)
    assert (status, everything()) == (0, before)
    assert "niets gewijzigd" in out


def run_load_file_wins(path):
    """Run load_agenda --file-wins and return (exit status, stdout, stderr)."""
    from io import StringIO

    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    call_command("load_agenda", str(path), "--file-wins", stdout=out, stderr=err)
    return 0, out.getvalue(), err.getvalue()


def test_reloading_without_app_changes_is_quiet_and_writes_nothing(tmp_path):
    """The same file twice: no conflict, nothing written, not even a new load record."""
    path, _ = agenda_file(tmp_path)
    run_load(path)
    before = everything()
    status, out, err = run_load(path)
    assert (status, err) == (0, "")
    assert "niets gewijzigd" in out
    assert everything() == before
    assert AgendaLoad.objects.count() == 1


def test_changes_made_in_the_file_alone_load_without_a_conflict(tmp_path):
    """Policy staff edit the file (a name, a share revision, a college list): no app change, so it simply loads."""
    path, data = agenda_file(tmp_path)
    run_load(path)
    theme(data, "T1")["name"] = "Elk team een superschool"
    theme(data, "T1")["revisions"] = [{"from": 2022, "budget_share_pct": 20}]
    theme(data, "T2")["revisions"] = [{"from": 2022, "budget_share_pct": 30}]
    indicator(data, "2a-entree")["revisions"] = []
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    status, out, err = run_load(path)
    assert status == 0, err
    inst = Institution.objects.get(code="ROCVAF")
    assert inst.themes.get(code="T1").name == "Elk team een superschool"
    assert [s for code, s, _ in theme_shares(inst, 2021) if code in ("T1", "T2")] == [25, 25]
    assert [s for code, s, _ in theme_shares(inst, 2022) if code in ("T1", "T2")] == [20, 30]
    entree = Indicator.objects.get(institution=inst, code="2a-entree")
    assert indicator_colleges(entree, 2022) == ENTREE  # the 2021 revision left the file and the database
    assert AgendaLoad.objects.latest("id").removed == [
        "indicator 2a-entree: colleges vanaf 2021",
        "thema T1: budget_share_pct vanaf 2021",
        "thema T2: budget_share_pct vanaf 2021",
    ]


def test_a_revision_made_only_in_the_app_is_kept_when_the_file_is_silent(tmp_path):
    """A share revision from 2022 added in the app, absent from the file, survives a reload without a conflict."""
    path, _ = agenda_file(tmp_path)
    run_load(path)
    inst = Institution.objects.get(code="ROCVAF")
    theme_share_revise(theme=inst.themes.get(code="T5"), from_year=2022, budget_share_pct=Decimal(5), reason="LLO")
    status, _, err = run_load(path)
    assert status == 0, err
    assert [s for code, s, _ in theme_shares(inst, 2022) if code == "T5"] == [5]


def test_a_file_that_agrees_with_the_app_revision_loads_quietly(tmp_path):
    """The app revised 1a 2022 to 7.0 and the file now says 7.0 too: no conflict and no extra revision."""
    path, data = agenda_file(tmp_path)
    run_load(path)
    ambition_revise(
        indicator=Indicator.objects.get(code="1a"), year=2022, type="target", target=Decimal("7.0"), reason="Herijking"
    )
    indicator(data, "1a")["ambitions"][1] = {"year": 2022, "type": "target", "target": 7.0}
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    status, _, err = run_load(path)
    assert status == 0, err
    assert Ambition.objects.filter(indicator__code="1a", year=2022).count() == 2


def test_without_a_remembered_load_every_difference_from_the_database_is_a_conflict(tmp_path):
    """A database loaded before the loader remembered its loads: an app revision is still not undone silently."""
    path, _ = agenda_file(tmp_path)
    run_load(path)
    AgendaLoad.objects.all().delete()
    ambition_revise(
        indicator=Indicator.objects.get(code="1a"), year=2022, type="target", target=Decimal("7.0"), reason="Herijking"
    )
    with pytest.raises(AgendaConflictError) as excinfo:
        agenda_load(data=yaml.safe_load(path.read_text()), source="agenda.yaml")
    assert excinfo.value.conflicts == [
        "indicator 1a: ambitie 2022: in de applicatie ‘target 7’, niet gezet door een eerder geladen bestand;"
        " het bestand zegt ‘target 7.1, indicatief’"
    ]


def factor_edits(inst: Institution) -> tuple[Factor, Factor]:
    """Rename 1a's factor and add one to 1a on the policy page (factor_save); return (renamed, added)."""
    one_a = Indicator.objects.get(institution=inst, code="1a")
    renamed = factor_save(
        indicator=one_a,
        factor=one_a.factors.get(),
        name="Bron studenttevredenheid",
        effect="-",
        description="JOB ligt hoger dan de eigen enquête",
        reason="naam ingekort, effect bekend",
    )
    added = factor_save(indicator=one_a, name="Krapte op de arbeidsmarkt", effect="-", reason="nieuw inzicht 2021")
    return renamed, added


def test_reloading_after_factor_edits_on_the_policy_page_stops_names_each_factor_and_changes_nothing(tmp_path):
    """A factor renamed and one added on /beleid/factoren/: the reload stops, names both, and writes nothing."""
    path, _ = agenda_file(tmp_path)
    run_load(path)
    factor_edits(Institution.objects.get(code="ROCVAF"))
    before = everything()
    revisions = sorted(map(str, FactorRevision.objects.values_list()))
    with pytest.raises(AgendaConflictError) as excinfo:
        agenda_load(data=yaml.safe_load(path.read_text()), source="agenda.yaml")
    [message] = excinfo.value.conflicts
    assert message.startswith("indicator 1a: verklarende factoren na de vorige load in de applicatie gewijzigd")
    assert "factor ‘Bron studenttevredenheid’ zou verdwijnen" in message
    assert "factor ‘Krapte op de arbeidsmarkt’ zou verdwijnen" in message
    assert (
        "factor ‘Wisselende bron studenttevredenheid (JOB / eigen enquête)’ uit het bestand zou terugkomen" in message
    )
    assert everything() == before
    assert sorted(map(str, FactorRevision.objects.values_list())) == revisions


def test_a_factor_whose_effect_was_changed_in_the_app_is_a_conflict_too(tmp_path):
    """Only the effect changed on the policy page (same name): the reload still stops and says what it would overwrite."""
    path, _ = agenda_file(tmp_path)
    run_load(path)
    factor = Factor.objects.get(indicator__code="1a")
    factor_save(
        indicator=factor.indicator, factor=factor, name=factor.name, effect="-", description="", reason="effect bekend"
    )
    status, _, err = run_load(path)
    assert status == 1
    assert "factor ‘Wisselende bron studenttevredenheid (JOB / eigen enquête)’ zou worden overschreven" in err
    assert Factor.objects.get(pk=factor.pk).effect == "-"


def test_file_wins_restores_the_files_factors_and_keeps_their_history(tmp_path):
    """--file-wins: the file's factor is back (on the same row), the added one goes, and no revision is lost."""
    path, data = agenda_file(tmp_path)
    run_load(path)
    inst = Institution.objects.get(code="ROCVAF")
    renamed, added = factor_edits(inst)
    status, out, _ = run_load_file_wins(path)
    assert status == 0
    assert "Het bestand wint van 1 wijziging(en) uit de applicatie" in out

    wanted = indicator(data, "1a")["factors"]
    assert [(f.name, f.effect, f.description) for f in Factor.objects.filter(indicator__code="1a")] == [
        (f["name"], f["effect"], f["description"]) for f in wanted
    ]
    # The renamed row took its name back, so its history stays attached: the app's revision, then the file's.
    back = Factor.objects.get(pk=renamed.pk)
    assert back.name == wanted[0]["name"]
    history = list(back.revisions.order_by("id"))
    assert [r.name for r in history] == ["Bron studenttevredenheid", wanted[0]["name"]]
    assert history[0].reason == "naam ingekort, effect bekend" and "--file-wins" in history[1].reason
    # The factor added in the app is gone; its revisions are kept, the last one saying where it was and why.
    assert not Factor.objects.filter(pk=added.pk).exists()
    orphans = list(FactorRevision.objects.filter(factor=None).order_by("id"))
    assert [r.name for r in orphans] == ["Krapte op de arbeidsmarkt", "Krapte op de arbeidsmarkt"]
    assert orphans[0].reason == "nieuw inzicht 2021"
    assert (
        orphans[1].reason.startswith("verwijderd bij indicator 1a: agendabestand")
        and "--file-wins" in orphans[1].reason
    )

    load = AgendaLoad.objects.filter(institution=inst).latest("id")
    assert load.file_wins and [o["label"] for o in load.overridden] == ["indicator 1a: factors"]
    before = everything()
    assert run_load(path)[0] == 0 and everything() == before  # the file and the database agree again
