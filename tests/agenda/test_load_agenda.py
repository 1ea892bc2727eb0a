"""load_agenda (contracts.md section 1): idempotent, atomic, every error with its path."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from agenda.models import Ambition, College, Factor, Goal, Indicator, Institution, Team, Theme
from agenda.schema import AgendaFileError, validate_agenda
from agenda.selectors import indicator_colleges, not_applicable
from agenda.services import agenda_load

ROCVAF = Path(__file__).resolve().parents[2] / "agenda" / "agendas" / "rocvaf-2019-2022.yaml"


def rocvaf() -> dict:
    """Return the shipped ROCvAF agenda as a dict."""
    return yaml.safe_load(ROCVAF.read_text())


def snapshot() -> dict:
    """Return every agenda row as plain values, to compare before and after."""
    return {
        model.__name__: sorted(map(str, model.objects.values_list()))
        for model in (Institution, College, Team, Theme, Goal, Indicator, Ambition, Factor)
    }


def run_load(path) -> tuple[int, str, str]:
    """Run the command and return (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("load_agenda", str(path), stdout=out, stderr=err)
        status = 0
    except CommandError as exc:  # manage.py prints it on stderr and exits 1
        status = 1
        err.write(str(exc))
    return status, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_rocvaf_agenda_loads_with_everything_the_agenda_states():
    """The shipped file gives 12 colleges, 5 themes (25/25/25/15/10) and the 14 indicators."""
    status, out, _ = run_load(ROCVAF)
    assert status == 0
    inst = Institution.objects.get(code="ROCVAF")
    assert College.objects.filter(institution=inst).count() == 12
    assert list(Theme.objects.filter(institution=inst).values_list("code", "budget_share_pct")) == [
        ("T1", 25),
        ("T2", 25),
        ("T3", 25),
        ("T4", 15),
        ("T5", 10),
    ]
    codes = set(Indicator.objects.filter(institution=inst).values_list("code", flat=True))
    assert codes == {"1a", "1b", "2a-entree", "2a-n2", "2b", "3a", "3b", "3c", "3d", "3e", "4a", "4b", "4c", "5a"}
    one_a = Indicator.objects.get(institution=inst, code="1a")
    assert (one_a.baseline_year, str(one_a.baseline_value.normalize())) == (2017, "6.7")
    assert [(a.year, a.type, str(a.target.normalize()), a.indicative) for a in one_a.ambitions.all()] == [
        (2020, "target", "6.9", False),
        (2022, "target", "7.1", True),
    ]
    assert Indicator.objects.get(institution=inst, code="3c").institution_only
    assert inst.budget_years.get(year=2020).total_cents == 2_800_000_000
    assert Factor.objects.filter(indicator__institution=inst).exists()
    assert "14 indicatoren" in out


ENTREE_COLLEGES = ["5100", "5110", "5200", "5210", "5300", "5400", "5500", "5800", "7100", "7200"]


@pytest.mark.django_db
def test_shipped_file_applies_entree_to_10_colleges_and_niveau_2_to_11():
    """Entree leaves out 5810 and 7110, niveau 2 leaves out 5810 (agenda ch. 7.4); the rest applies everywhere."""
    inst = agenda_load(data=rocvaf()).institution
    entree = Indicator.objects.get(institution=inst, code="2a-entree")
    niveau2 = Indicator.objects.get(institution=inst, code="2a-n2")
    for year in inst.years:
        assert indicator_colleges(entree, year) == ENTREE_COLLEGES
        assert len(indicator_colleges(niveau2, year)) == 11
        assert "5810" not in indicator_colleges(niveau2, year)
    ids = dict(College.objects.filter(institution=inst).values_list("code", "id"))
    expected = {(entree.pk, y, ids[c]) for y in inst.years for c in ("5810", "7110")}
    expected |= {(niveau2.pk, y, ids["5810"]) for y in inst.years}
    assert not_applicable(inst, inst.years) == expected
    assert indicator_colleges(Indicator.objects.get(institution=inst, code="1a"), 2020) is None


@pytest.mark.django_db
def test_loading_twice_changes_nothing_the_second_time():
    """The second load of the same file writes no row and reports that nothing changed."""
    run_load(ROCVAF)
    before = snapshot()
    status, out, _ = run_load(ROCVAF)
    assert status == 0
    assert "niets gewijzigd" in out
    assert snapshot() == before


@pytest.mark.django_db
def test_json_with_the_same_structure_is_accepted(tmp_path):
    """A JSON file with the YAML's structure loads the same agenda."""
    path = tmp_path / "agenda.json"
    path.write_text(json.dumps(rocvaf()))
    status, _, _ = run_load(path)
    assert status == 0
    assert Indicator.objects.filter(institution__code="ROCVAF").count() == 14


@pytest.mark.django_db
def test_invalid_file_exits_1_names_every_path_and_changes_nothing(tmp_path):
    """Three mistakes give exit 1, each error with its path, and the database stays as it was."""
    run_load(ROCVAF)
    before = snapshot()
    data = rocvaf()
    data["themes"][2]["indicators"][0]["polarity"] = "upwards"
    data["themes"][0]["indicators"][1]["ambitions"][0]["target"] = "veel"
    data["colleges"][3]["name"] = ""
    data["themes"][1]["name"] = "Gewijzigd maar niet opgeslagen"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    status, _, err = run_load(path)
    assert status == 1
    assert "themes[2].indicators[0].polarity" in err
    assert "themes[0].indicators[1].ambitions[0].target" in err
    assert "colleges[3].name" in err
    assert snapshot() == before


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["themes"][0].update(budget_share_pct=30), "themes", "niet tot 100"),
        (lambda d: d["themes"][1]["indicators"][0].update(unit="procent"), "themes[1].indicators[0].unit", "percent"),
        (
            lambda d: d["themes"][1]["indicators"][0].update(levels=["team"]),
            "themes[1].indicators[0].levels",
            "institution",
        ),
        (
            lambda d: d["themes"][0]["indicators"][0]["ambitions"].append({"year": 2020, "type": "improve"}),
            "ambitions[2].year",
            "twee keer",
        ),
        (lambda d: d["themes"][0]["indicators"][0]["ambitions"][0].pop("target"), "ambitions[0].target", "ontbreekt"),
        (lambda d: d["colleges"].append({"code": "5100", "name": "Dubbel"}), "colleges[12].code", "twee keer"),
        (
            lambda d: d["themes"][0]["indicators"][0].update(polarty="higher"),
            "themes[0].indicators[0].polarty",
            "polarity",
        ),
        (lambda d: d["budget"][0].update(result_dependent_pct=30), "budget[0].result_dependent_pct", "buiten"),
        (lambda d: d["themes"][0]["indicators"][0]["baseline"].update(value=11), "baseline.value", "buiten"),
        (lambda d: d.pop("period"), "period", "ontbreekt"),
    ],
)
def test_validation_reports_the_path_of_each_problem(mutate, path, fragment):
    """Each kind of mistake is reported with its path in the file and what is wrong."""
    data = rocvaf()
    mutate(data)
    with pytest.raises(AgendaFileError) as excinfo:
        validate_agenda(data)
    assert any(path in e and fragment in e for e in excinfo.value.errors), excinfo.value.errors


@pytest.mark.django_db
def test_changed_ambition_becomes_a_new_revision_and_keeps_the_old():
    """Reloading with a revised 2022 target adds revision 2; revision 1 stays (herijking)."""
    agenda_load(data=rocvaf(), source="v1")
    data = rocvaf()
    one_a = data["themes"][0]["indicators"][0]
    one_a["ambitions"][1].update(target=7.0, reason="Herijking 2020")
    report = agenda_load(data=data, source="v2")
    assert report.created["ambitieversies"] == 1
    revisions = list(Ambition.objects.filter(indicator__code="1a", year=2022).order_by("revision"))
    assert [(a.revision, str(a.target.normalize())) for a in revisions] == [(1, "7.1"), (2, "7")]
    assert revisions[1].reason == "Herijking 2020"


@pytest.mark.django_db
def test_a_second_institution_lives_beside_the_first():
    """Another institution with the same college and indicator codes loads without touching ROCvAF."""
    agenda_load(data=rocvaf(), source="rocvaf")
    before = snapshot()["Indicator"]
    other = rocvaf()
    other["institution"] = {"code": "ROCX", "name": "ROC X"}
    agenda_load(data=other, source="rocx")
    assert Institution.objects.count() == 2
    assert Indicator.objects.filter(institution__code="ROCX").count() == 14
    assert Indicator.objects.filter(institution__code="ROCVAF").count() == 14
    assert set(before) <= set(snapshot()["Indicator"])


@pytest.mark.django_db
def test_team_in_the_file_cannot_move_to_another_college():
    """A team code already used in another college is an error with its path; nothing changes."""
    data = rocvaf()
    data["colleges"][0]["teams"] = [{"code": "T-1", "name": "Team 1"}]
    agenda_load(data=data)
    data["colleges"][0]["teams"] = []
    data["colleges"][1]["teams"] = [{"code": "T-1", "name": "Team 1"}]
    with pytest.raises(AgendaFileError) as excinfo:
        agenda_load(data=data)
    assert "colleges[1].teams[0].code" in excinfo.value.errors[0]
    assert Team.objects.get(code="T-1").college.code == "5100"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["diep.json", "diep.yaml"])
def test_a_file_nested_too_deep_is_a_dutch_error_not_a_traceback(tmp_path, name):
    """Both parsers recurse per level: two thousand brackets raised RecursionError, a traceback, before."""
    path = tmp_path / name
    path.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    before = snapshot()
    status, _, err = run_load(path)
    assert status == 1
    assert "de gegevens zijn te diep genest; dit is geen agendabestand" in err
    assert snapshot() == before
