"""The synthetic demo data (demo.synthetic) and the real agenda file of ROCvAF 2019-2022."""

import csv
import hashlib
import json
import os
import subprocess
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from demo.synthetic import COLLEGE_VALUES_CSV, demo_rows, demo_teams, write_demo_csv

ROOT = Path(__file__).resolve().parents[2]
AGENDA_FILE = ROOT / "agenda" / "agendas" / "rocvaf-2019-2022.yaml"
CODES = ["1a", "1b", "2a-entree", "2a-n2", "2b", "3a", "3b", "3c", "3d", "3e", "4a", "4b", "4c", "5a"]
COLLEGES = ["5100", "5110", "5200", "5210", "5300", "5400", "5500", "5800", "5810", "7100", "7110", "7200"]
ROCVF = {"7100", "7110", "7200"}
RANGES = {"1a": (Fraction(1), Fraction(10))}  # every other indicator is a percentage


@pytest.fixture(scope="module")
def rows():
    """Return the demo rows of the default seed."""
    return demo_rows()


@pytest.fixture(scope="module")
def teams():
    """Return the demo teams by code."""
    return {t["code"]: t for t in demo_teams()}


@pytest.fixture(scope="module")
def published():
    """Return the agenda's published values {(indicator, college or "", year): Fraction}."""
    with COLLEGE_VALUES_CSV.open(encoding="utf-8") as handle:
        return {(r["indicator"], r["college"], int(r["year"])): Fraction(r["value"]) for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def agenda():
    """Return the agenda file as loaded by yaml.safe_load."""
    return yaml.safe_load(AGENDA_FILE.read_text(encoding="utf-8"))


def team_rows(rows, indicator=None):
    """Return the team-level rows (of one indicator)."""
    return [r for r in rows if r["team"] and (indicator is None or r["indicator"] == indicator)]


def weighted(pairs):
    """Return the n-weighted mean of (value, n) pairs as a Fraction."""
    pairs = list(pairs)
    return sum(v * n for v, n in pairs) / sum(n for _, n in pairs)


def college_values(rows, indicator, year):
    """Return {college: (value, weight)}: the given college value, else the n-weighted team mean."""
    teams = defaultdict(list)
    given = {}
    for r in rows:
        if r["indicator"] != indicator or r["jaar"] != year or not r["college"]:
            continue
        if r["team"]:
            teams[r["college"]].append((Fraction(r["waarde"]), r["n"]))
        else:
            given[r["college"]] = Fraction(r["waarde"])
    out = {}
    for college in set(teams) | set(given):
        weight = sum(n for _, n in teams[college])
        value = given.get(college, weighted(teams[college]) if teams[college] else None)
        out[college] = (value, weight)
    return out


def institution_value(rows, indicator, year):
    """Return the institution value: the given one, else the mean of the colleges weighted by their n."""
    for r in rows:
        if r["indicator"] == indicator and r["jaar"] == year and not r["college"]:
            return Fraction(r["waarde"])
    return weighted(college_values(rows, indicator, year).values())


def digest(data) -> str:
    """Return a stable digest of the rows."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# -- determinism -----------------------------------------------------------------------------------


def test_same_seed_gives_the_same_rows(rows):
    """Two calls with the same seed return identical rows."""
    assert demo_rows() == rows
    assert demo_rows(7) == demo_rows(7)


def test_other_seed_gives_other_rows(rows):
    """Another seed gives other synthetic values."""
    assert demo_rows(7) != rows


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_rows_do_not_depend_on_string_hashing(rows, hash_seed):
    """The output is the same in a new interpreter with another PYTHONHASHSEED (no set-order leaks)."""
    code = "import hashlib, json; from demo.synthetic import demo_rows; "
    code += "print(hashlib.sha256(json.dumps(demo_rows(), sort_keys=True).encode()).hexdigest())"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == digest(rows)


# -- teams -----------------------------------------------------------------------------------------


def test_about_a_hundred_teams_with_unique_codes(teams):
    """There are 90-110 teams, codes unique and of the form <college>-<ABBR>."""
    listed = demo_teams()
    assert 90 <= len(listed) <= 110
    assert len({t["code"] for t in listed}) == len(listed)
    for team in listed:
        assert team["code"].startswith(team["college"] + "-")
        assert team["code"].split("-", 1)[1].isupper()
        assert set(team) == {"code", "name", "college", "active_from", "active_until"}


def test_every_college_has_six_to_eleven_teams(teams):
    """Each of the 12 colleges has 6-11 teams and Poort is the smallest."""
    per_college = defaultdict(int)
    for team in teams.values():
        per_college[team["college"]] += 1
    assert sorted(per_college) == sorted(COLLEGES)
    assert all(6 <= count <= 11 for count in per_college.values())
    assert per_college["7110"] == min(per_college.values())


def test_amstelland_has_no_entree_team(teams):
    """MBO College Amstelland (5810) has no entree team; most other colleges have one."""
    entree = {t["college"] for t in teams.values() if "Entree" in t["name"]}
    assert "5810" not in entree
    assert len(entree) >= 9


@pytest.mark.parametrize(
    ("code", "first", "last"),
    [("5110-EVP", 2019, 2022), ("7200-ISK", 2015, 2020)],
)
def test_changing_teams_have_data_only_while_active(rows, teams, code, first, last):
    """The team that starts in 2019 and the one that stops after 2020 have data only while active."""
    team = teams[code]
    assert (team["active_from"], team["active_until"]) in [(first, None), (None, last)]
    years = {r["jaar"] for r in rows if r["team"] == code}
    assert min(years) == first and max(years) == last


# -- rows ------------------------------------------------------------------------------------------


def test_every_indicator_is_known(rows):
    """Every row's indicator is one of the 14 agenda codes or `studenten`, and all 14 occur."""
    found = {r["indicator"] for r in rows}
    assert found <= set(CODES) | {"studenten"}
    assert found == set(CODES) | {"studenten"}


def test_years_lie_in_the_period(rows, published):
    """Years are 2015-2022, except published agenda figures of earlier years."""
    for r in rows:
        if r["team"]:
            assert 2015 <= r["jaar"] <= 2022, r
        elif not 2015 <= r["jaar"] <= 2022:
            assert (r["indicator"], r["college"], r["jaar"]) in published, r


def test_row_shape(rows, teams):
    """Rows have the long-format keys; a team row names its own college; n is an int or empty."""
    for r in rows:
        assert set(r) == {"jaar", "indicator", "college", "team", "waarde", "n"}
        assert isinstance(r["jaar"], int)
        assert r["n"] == "" or isinstance(r["n"], int)
        if r["team"]:
            assert teams[r["team"]]["college"] == r["college"]
            assert isinstance(r["n"], int)


def test_values_lie_within_the_unit_range(rows):
    """Scores lie in 1-10, percentages in 0-100, with a decimal point and at most 2 decimals."""
    for r in rows:
        if r["indicator"] == "studenten":
            continue
        whole, _, decimals = r["waarde"].partition(".")
        assert whole.isdigit() and decimals.isdigit() and 1 <= len(decimals) <= 2, r
        low, high = RANGES.get(r["indicator"], (Fraction(0), Fraction(100)))
        assert low <= Fraction(r["waarde"]) <= high, r


@pytest.mark.parametrize(
    ("indicator", "low", "high"),
    [("1a", "5.8", "7.6"), ("3a", "78", "94"), ("3b", "13", "56"), ("3d", "17", "54"), ("4c", "58", "90")],
)
def test_college_values_look_like_the_agenda(rows, indicator, low, high):
    """College values 2018-2022 stay in the bands the agenda shows for the college figures."""
    for year in range(2018, 2023):
        for college, (value, _) in college_values(rows, indicator, year).items():
            assert Fraction(low) <= value <= Fraction(high), (indicator, year, college, float(value))


def test_vsv_is_higher_for_entree_teams(rows, teams):
    """vsv is about 20-30 % (up to 35) for entree teams and 4-10 % for most other teams."""
    for year in range(2015, 2023):
        entree, other = [], []
        for r in team_rows(rows, "2b"):
            if r["jaar"] == year:
                (entree if "Entree" in teams[r["team"]]["name"] else other).append(Fraction(r["waarde"]))
        assert all(18 <= v <= 36 for v in entree)
        assert sum(1 for v in other if 3 <= v <= 10) >= 0.7 * len(other)


def test_team_n_is_a_stable_cohort(rows, teams):
    """Every team value has an n of 8-400, entree cohorts are smaller, and a team's n is stable."""
    by_team = defaultdict(list)
    for r in team_rows(rows):
        assert 8 <= r["n"] <= 400
        by_team[(r["indicator"], r["team"])].append(r["n"])
    for ns in by_team.values():
        assert max(ns) <= 1.5 * min(ns) + 4
    entree = [r["n"] for r in team_rows(rows, "1a") if "Entree" in teams[r["team"]]["name"]]
    other = [r["n"] for r in team_rows(rows, "1a") if "Entree" not in teams[r["team"]]["name"]]
    assert max(entree) < sorted(other)[len(other) // 2]


@pytest.mark.parametrize(
    ("indicator", "rule"),
    [
        ("2a-entree", lambda name, code: "Entree" in name),
        ("2a-n2", lambda name, code: "niveau 2" in name),
        ("3d", lambda name, code: "niveau 2" not in name and "Entree" not in name),
        ("3e", lambda name, code: "niveau 2" not in name and "Entree" not in name),
    ],
)
def test_indicators_only_for_the_teams_they_concern(rows, teams, indicator, rule):
    """Entree results only for entree teams, niveau 2 results only for niveau 2 teams, hbo only for mbo 4."""
    for r in team_rows(rows, indicator):
        assert rule(teams[r["team"]]["name"], r["team"]), r


@pytest.mark.parametrize(("indicator", "first"), [("1b", 2018), ("3e", 2016), ("4a", 2017), ("4b", 2017), ("5a", 2017)])
def test_new_indicators_start_when_measured(rows, indicator, first):
    """Indicators measured only recently have no values before their first measurement."""
    assert min(r["jaar"] for r in rows if r["indicator"] == indicator) == first


def test_kwalificatiewinst_is_institution_level_only(rows):
    """3c has one institution row per year and no college or team rows (agenda 8.4)."""
    rows_3c = [r for r in rows if r["indicator"] == "3c"]
    assert all(r["college"] == "" and r["team"] == "" for r in rows_3c)
    assert sorted(r["jaar"] for r in rows_3c) == list(range(2015, 2023))


# -- consistency with the agenda's figures ------------------------------------------------------------


def test_published_values_are_emitted_unchanged(rows, published):
    """Every figure of college_values.csv is a college- or institution-level row with the same value."""
    emitted = {(r["indicator"], r["college"], r["jaar"]): Fraction(r["waarde"]) for r in rows if not r["team"]}
    for key, value in published.items():
        assert emitted[key] == value, key


def test_team_means_match_the_published_college_values(rows, published):
    """The n-weighted mean of a college's teams is within 0.3 of the published value (1a: 0.05)."""
    checked = 0
    for (indicator, college, year), value in published.items():
        pairs = [
            (Fraction(r["waarde"]), r["n"])
            for r in team_rows(rows, indicator)
            if (r["college"], r["jaar"]) == (college, year)
        ]
        if not college or not pairs:
            continue  # institution totals, and the 2014 figures that precede the team data
        tolerance = Fraction("0.05") if indicator == "1a" else Fraction("0.3")
        assert abs(weighted(pairs) - value) <= tolerance, (indicator, college, year)
        checked += 1
    assert checked >= 150


def test_superschool_first_measurement_spreads_like_the_agenda(rows):
    """1b in 2018: teams 13-81 %, colleges 32-46 %, institution about 38 % (agenda 6.4)."""
    values = [Fraction(r["waarde"]) for r in team_rows(rows, "1b") if r["jaar"] == 2018]
    assert min(values) == 13 and max(values) == 81
    colleges = [v for v, _ in college_values(rows, "1b", 2018).values()]
    assert Fraction(315, 10) <= min(colleges) <= 33 and 45 <= max(colleges) <= Fraction(465, 10)
    assert abs(institution_value(rows, "1b", 2018) - 38) <= Fraction(1, 2)


def test_no_job_figure_for_small_teams(rows):
    """4a has no value for teams with n < 20 (CBS privacy, agenda 9.4), so some teams lack it."""
    rows_4a = team_rows(rows, "4a")
    assert all(r["n"] >= 20 for r in rows_4a)
    with_4a = {(r["team"], r["jaar"]) for r in rows_4a}
    with_1a = {(r["team"], r["jaar"]) for r in team_rows(rows, "1a") if r["jaar"] >= 2017}
    assert 10 <= len({team for team, _ in with_1a - with_4a}) <= 40


def test_student_numbers_per_college_and_year(rows):
    """`studenten` has one integer per college and year, 900-6000, ROCvA larger, slowly varying."""
    students = {(r["college"], r["jaar"]): int(r["waarde"]) for r in rows if r["indicator"] == "studenten"}
    assert set(students) == {(c, y) for c in COLLEGES for y in range(2015, 2023)}
    assert all(900 <= v <= 6000 for v in students.values())
    assert all(r["team"] == "" and r["waarde"].isdigit() for r in rows if r["indicator"] == "studenten")
    rocva = [v for (c, _), v in students.items() if c not in ROCVF]
    rocvf = [v for (c, _), v in students.items() if c in ROCVF]
    assert min(rocva) > max(rocvf)
    for (college, year), value in students.items():
        if year > 2015:
            assert abs(value - students[(college, year - 1)]) <= value / 10


# -- the designed verdict picture (aggregate means only; the engine is tested elsewhere) ---------------


@pytest.mark.parametrize(
    ("indicator", "year", "check"),
    [
        ("1a", 2019, lambda v, b: v < Fraction("6.9")),  # 6 of 12 colleges, not attained
        ("1a", 2020, lambda v, b: v >= Fraction("6.9")),  # target 6.9 met
        ("1b", 2020, lambda v, b: v >= 45),  # 7 of 12 colleges: attained through the institution
        ("1b", 2022, lambda v, b: v < 50),  # indicative target 50 not met
        ("2a-entree", 2021, lambda v, b: v >= b - Fraction("0.5")),  # 7 of 12: institution fallback
        ("2a-n2", 2020, lambda v, b: v > b),  # 6 of 12: institution fallback (improve)
        ("2b", 2020, lambda v, b: v <= b + Fraction("0.5")),  # vsv stable
        ("2b", 2021, lambda v, b: v > b + Fraction("0.5")),  # vsv up (7 of 12): not attained
        ("3a", 2020, lambda v, b: v < b - Fraction("0.5")),  # 5 of 12: not attained
        ("3b", 2020, lambda v, b: v >= b - Fraction("0.5")),  # 7 of 12: institution fallback
        ("3b", 2021, lambda v, b: v <= b),  # improve not reached (5 of 12): not attained
        ("3c", 2020, lambda v, b: v >= b - Fraction("0.5")),  # institution only: met
        ("3c", 2021, lambda v, b: v < b - Fraction("0.5")),  # institution only: not met
        ("3d", 2021, lambda v, b: v > b),  # 6 of 12: institution fallback (improve)
    ],
)
@pytest.mark.parametrize("seed", [2019, 7])
def test_institution_values_follow_the_design(indicator, year, check, seed):
    """The institution values of the designed years lie on the intended side of the ambition."""
    data = demo_rows(seed) if seed != 2019 else demo_rows()
    baselines = {"2a-entree": "78.0", "2a-n2": "68.14", "2b": "6.7", "3b": "29.3", "3d": "38.4"}
    baseline_years = {"3a": 2017, "3c": 2017}
    if indicator in baselines:
        b = Fraction(baselines[indicator])
    elif indicator in baseline_years:
        b = institution_value(data, indicator, baseline_years[indicator])
    else:
        b = None
    assert check(institution_value(data, indicator, year), b)


# -- the CSV file ----------------------------------------------------------------------------------


def test_write_demo_csv_writes_every_row(tmp_path, rows):
    """write_demo_csv writes a header and one line per row, with semicolons and decimal commas."""
    path = tmp_path / "demo.csv"
    count = write_demo_csv(path)
    assert count == len(rows)
    with path.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert lines[0] == ["jaar", "indicator", "college", "team", "waarde", "n"]
    assert len(lines) == count + 1
    assert all("." not in line[4] for line in lines[1:])
    assert any("," in line[4] for line in lines[1:])


def test_copied_college_values_match_the_agenda_extract():
    """The project's copy of the published figures has the header of the shared extract."""
    with COLLEGE_VALUES_CSV.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["indicator", "college", "year", "value"]


# -- the agenda file -----------------------------------------------------------------------------------


def test_agenda_has_the_twelve_colleges(agenda):
    """The agenda file lists the 12 colleges with string codes."""
    assert [c["code"] for c in agenda["colleges"]] == COLLEGES
    assert agenda["institution"]["code"] == "ROCVAF"
    assert agenda["period"] == {"start": 2019, "end": 2022}


def test_agenda_themes_and_budget_shares(agenda):
    """Five themes whose budget shares add up to 100, the national ones at least a third."""
    themes = agenda["themes"]
    assert [t["code"] for t in themes] == ["T1", "T2", "T3", "T4", "T5"]
    assert sum(t["budget_share_pct"] for t in themes) == 100
    assert sum(t["budget_share_pct"] for t in themes if t["national"]) >= 100 / 3
    assert all(t["ambition"] and t["goals"] for t in themes)
    funds = {t["code"]: sum(f["amount_eur"] for f in t.get("additional_funds", [])) for t in themes}
    assert funds == {"T1": 0, "T2": 4800000, "T3": 2800000, "T4": 4800000, "T5": 0}


def test_agenda_indicators_and_ambitions(agenda):
    """14 indicators, each with a firm 2020 and an indicative 2022 ambition, and factors."""
    indicators = [i for t in agenda["themes"] for i in t["indicators"]]
    assert [i["code"] for i in indicators] == CODES
    for indicator in indicators:
        by_year = {a["year"]: a for a in indicator["ambitions"]}
        assert set(by_year) == {2020, 2022}
        assert not by_year[2020].get("indicative", False)
        assert by_year[2022]["indicative"] is True
        assert indicator["factors"] and all(f["effect"] in {"+", "-", "?"} for f in indicator["factors"])
        assert indicator["description"]
    levels = {i["code"]: i["levels"] for i in indicators}
    assert levels["3c"] == ["institution"]
    assert all(v == ["team", "college", "institution"] for k, v in levels.items() if k != "3c")


@pytest.mark.parametrize(
    ("code", "unit", "polarity", "baseline", "ambition_2020", "ambition_2022"),
    [
        ("1a", "score", "higher", (2017, 6.7), ("target", 6.9), ("target", 7.1)),
        ("1b", "percent", "higher", (2018, 38), ("target", 45), ("target", 50)),
        ("2a-entree", "percent", "higher", (2017, 78.0), ("maintain", None), ("maintain", None)),
        ("2a-n2", "percent", "higher", (2017, 68.14), ("improve", None), ("improve", None)),
        ("2b", "percent", "lower", (2016, 6.7), ("maintain", None), ("maintain", None)),
        ("3a", "percent", "higher", (2017, None), ("maintain", None), ("maintain", None)),
        ("3b", "percent", "higher", (2016, 29.3), ("maintain", None), ("improve", None)),
        ("3c", "percent", "higher", (2017, None), ("maintain", None), ("maintain", None)),
        ("3d", "percent", "higher", (2016, 38.4), ("maintain", None), ("improve", None)),
        ("3e", "percent", "higher", (2016, None), ("monitor", None), ("monitor", None)),
        ("4a", "percent", "higher", (2017, None), ("monitor", None), ("monitor", None)),
        ("4b", "percent", "higher", (2017, None), ("monitor", None), ("monitor", None)),
        ("4c", "percent", "higher", (2017, None), ("maintain", None), ("maintain", None)),
        ("5a", "percent", "higher", (2017, None), ("monitor", None), ("monitor", None)),
    ],
)
def test_agenda_indicator_as_the_agenda_states_it(agenda, code, unit, polarity, baseline, ambition_2020, ambition_2022):
    """Unit, polarity, baseline and the 2020 / 2022 ambitions of each indicator."""
    indicator = next(i for t in agenda["themes"] for i in t["indicators"] if i["code"] == code)
    assert (indicator["unit"], indicator["polarity"]) == (unit, polarity)
    assert (indicator["baseline"]["year"], indicator["baseline"].get("value")) == baseline
    by_year = {a["year"]: a for a in indicator["ambitions"]}
    for year, (kind, target) in [(2020, ambition_2020), (2022, ambition_2022)]:
        assert by_year[year]["type"] == kind
        assert by_year[year].get("target") == target
        expected_tolerance = 0.5 if kind == "maintain" else None
        assert by_year[year].get("tolerance") == expected_tolerance


def test_agenda_budget_years(agenda):
    """Budget rows for 2019-2022 of EUR 28 mln, at most 25 % result-dependent."""
    budget = {b["year"]: b for b in agenda["budget"]}
    assert sorted(budget) == [2019, 2020, 2021, 2022]
    for row in budget.values():
        assert row["total_eur"] == 28000000
        assert row["result_dependent_pct"] == 25
        assert 0 <= row["central_pct"] <= 10
