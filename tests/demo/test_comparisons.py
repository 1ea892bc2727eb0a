"""The agenda's own comparison figures for ROCvAF (demo/data/rocvaf_comparisons.csv, issue 18).

Every figure is checked against the line of the agenda text it names (`regel`): the sources file
quotes those lines, and the quotes are checked against the agenda text itself where it is present.
"""

import csv
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "demo" / "data"
COMPARISONS = DATA / "rocvaf_comparisons.csv"
SOURCES = DATA / "rocvaf_comparisons_sources.md"
COLLEGE_VALUES = DATA / "rocvaf_college_values.csv"
AGENDA_FILE = ROOT / "agenda" / "agendas" / "rocvaf-2019-2022.yaml"
# The agenda text lives beside the repository (../shared/seeds), not in it.
SEED = ROOT.parent / "shared" / "seeds" / "kwaliteitsagenda-rocva-rocvf-2019-2022.txt"
ILLUSTRATIVE = "demo (illustratief), geen agendacijfer"
# The ROC's figure as the agenda's tables give it (the "ROC" column): the own series ("", vsv per
# level, which the agenda measures by DUO's definition) or as another publisher reports it.
ROC_SERIES = {"", "DUO", "MBO Benchmark"}
QUOTE = re.compile(r"^(\d{3,5}): (.*)$")
PERCENT = re.compile(r"(\d+(?:,\d+)?)%")


def read_rows():
    """Return the rows of the comparisons file as dicts."""
    with COMPARISONS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def read_quotes() -> dict[int, str]:
    """Return {line number: text} of the agenda lines quoted in the sources file."""
    quotes = {}
    for line in SOURCES.read_text(encoding="utf-8").splitlines():
        match = QUOTE.match(line)
        if match:
            quotes[int(match.group(1))] = match.group(2)
    return quotes


@pytest.fixture(scope="module")
def rows():
    """Return the comparison rows."""
    return read_rows()


@pytest.fixture(scope="module")
def quotes():
    """Return the quoted agenda lines."""
    return read_quotes()


def sourced(rows):
    """Return the rows that come from the agenda (every row but the illustrative breakdown)."""
    return [r for r in rows if r["bron"] != ILLUSTRATIVE]


def preceding(quotes: dict[int, str], line: int, test, required: bool = True) -> tuple[int, str] | None:
    """Return the nearest quoted line before `line` (within 12 lines) for which test(text) holds."""
    for number in range(line - 1, line - 13, -1):
        text = quotes.get(number)
        if text is not None and test(text):
            return number, text
    if required:
        raise AssertionError(f"geen passende kopregel boven r. {line}")
    return None


def figure_on_line(row: dict, quotes: dict[int, str]) -> str:
    """Return the figure that the agenda line of `row` gives for its year, series and group."""
    line = int(row["regel"])
    text = quotes[line]
    year, series = row["jaar"], row["reeks"]
    figures = PERCENT.findall(text)
    if text.startswith(year + " "):
        # A table row "2014 6,4% 5,0%" under a header naming the columns ("ROC landelijk mbo").
        _, header = preceding(quotes, line, lambda t: "ROC" in t and "landelijk" in t.lower() and "%" not in t)
        columns = [word.lower() for word in header.split() if word.lower() in ("roc", "landelijk")]
        assert columns[:2] in (["roc", "landelijk"], ["landelijk", "roc"]), header
        wanted = "roc" if series in ROC_SERIES else "landelijk"
        return figures[columns.index(wanted)]
    years_header = preceding(quotes, line, lambda t: re.fullmatch(r"(\d{4} ?)+", t) is not None, required=False)
    if years_header is not None and len(figures) == len(years_header[1].split()):
        header = years_header[1]
        # Years as columns ("landelijk mbo 3 3,4% 3,5% 3,7%"); the series is named on this line or
        # on the nearest line above that starts with it ("mbo 4 ..." continues "landelijk mbo 3").
        _, owner = preceding({**quotes, line + 1: text}, line + 1, lambda t: t.startswith(("ROC", "landelijk")))
        assert ("landelijk" if owner.startswith("landelijk") else "roc") == (
            "roc" if series in ROC_SERIES else "landelijk"
        ), (row, owner)
        level = row["groep"].split(":", 1)[1].strip()
        assert level in text, (row, text)
        return figures[header.split().index(year)]
    # Prose: "... van 78% in 2016, landelijk is dat 72%."
    assert year in text, (row, text)
    before, _, after = text.partition("landelijk")
    candidates = PERCENT.findall(after if series == "landelijk" else before)
    assert len(candidates) == 1, (row, text)
    return candidates[0]


def test_every_agenda_figure_matches_its_quoted_line(rows, quotes):
    """Each figure of the comparisons file is the number its agenda line gives for that year and series."""
    checked = 0
    for row in sourced(rows):
        assert row["regel"].isdigit(), row
        assert int(row["regel"]) in quotes, f"r. {row['regel']} is niet geciteerd in {SOURCES.name}"
        assert f"r. {row['regel']}" in row["bron"], row  # the line stays visible with the value
        assert figure_on_line(row, quotes) == row["waarde"], row
        checked += 1
    assert checked >= 50


def test_a_mistyped_figure_is_caught(rows, quotes):
    """The check above fails for a figure that differs from its line by one digit."""
    row = dict(next(r for r in sourced(rows) if r["indicator"] == "2b" and r["reeks"] == "landelijk"))
    assert figure_on_line(row, quotes) == row["waarde"]
    row["jaar"] = str(int(row["jaar"]) + 1)  # another year's line: no figure for this year there
    with pytest.raises((AssertionError, ValueError, IndexError)):
        assert figure_on_line(row, quotes) == row["waarde"]
    mbo4 = dict(next(r for r in sourced(rows) if r["groep"] == "niveau: mbo 4" and r["reeks"] == ""))
    mbo4["reeks"] = "landelijk"  # the ROC's line read as the national one
    with pytest.raises(AssertionError):
        figure_on_line(mbo4, quotes)


@pytest.mark.skipif(not SEED.exists(), reason=f"de agendatekst staat niet op {SEED}")
def test_quotes_are_the_agenda_text(quotes):
    """Every line quoted in the sources file is, at that line number, the agenda text itself."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    for number, text in quotes.items():
        assert lines[number - 1].strip() == text, number


def test_landelijk_rows_for_the_demo_indicators(rows):
    """The landelijk series covers 2a-entree, 2b and 3b at institution level, with a DUO series for 3b."""
    landelijk = defaultdict(set)
    for row in rows:
        assert row["college"] == "" and row["team"] == "", row  # institution level only
        if row["reeks"] == "landelijk" and not row["groep"]:
            landelijk[row["indicator"]].add(int(row["jaar"]))
    assert landelijk["2a-entree"] == {2016}
    assert landelijk["2b"] == {2014, 2015, 2016}
    assert landelijk["3b"] == {2014, 2015, 2016}
    assert landelijk["3d"] == {2014, 2015, 2016}
    assert {int(r["jaar"]) for r in rows if r["indicator"] == "3b" and r["reeks"] == "DUO" and not r["groep"]} == {
        2014,
        2015,
        2016,
    }


def test_groups_are_declared_in_the_agenda_file(rows):
    """Every group in the file is a declared breakdown group of its indicator in the agenda file."""
    agenda = yaml.safe_load(AGENDA_FILE.read_text(encoding="utf-8"))
    declared = {
        indicator["code"]: indicator.get("breakdowns") or {}
        for theme in agenda["themes"]
        for indicator in theme["indicators"]
    }
    assert declared["2a-entree"]["vooropleiding"] == ["PrO", "vso", "vmbo-b", "afgebroken vmbo"]
    for row in rows:
        if row["groep"]:
            dimension, group = (part.strip() for part in row["groep"].split(":", 1))
            assert group in declared[row["indicator"]][dimension], row


def test_illustrative_breakdown_adds_up_to_the_published_totals(rows):
    """The invented vooropleiding groups of 2a average (n-weighted) to the agenda's institution totals."""
    with COLLEGE_VALUES.open(encoding="utf-8") as handle:
        totals = {
            (r["indicator"], int(r["year"])): Decimal(r["value"]) for r in csv.DictReader(handle) if not r["college"]
        }
    groups = defaultdict(list)
    for row in rows:
        if row["bron"] == ILLUSTRATIVE:
            assert row["reeks"] == "" and row["groep"].startswith("vooropleiding: ") and not row["regel"], row
            groups[(row["indicator"], int(row["jaar"]))].append(
                (Decimal(row["waarde"].replace(",", ".")), int(row["n"]))
            )
    assert set(groups) == {(code, year) for code in ("2a-entree", "2a-n2") for year in (2015, 2016, 2017)}
    for key, pairs in groups.items():
        assert len(pairs) == 4, key
        mean = sum(v * n for v, n in pairs) / sum(n for _, n in pairs)
        # Each group value is rounded to one decimal: the mean may move by at most 0.05.
        assert abs(mean - totals[key]) <= Decimal("0.05"), (key, mean, totals[key])
        assert min(n for _, n in pairs) < 20, key  # a small group, so the pages show "kleine groep"


def test_demo_seed_stores_the_comparison_rows(rocvaf_demo):
    """The demo seed stores every row of the file through the import: landelijk for 2a-entree, 2b, 3b and 3d."""
    from indicatoren.models import ContextValue

    stored = {
        (c.indicator.code, c.year, c.series, c.dimension, c.group): (c.value, c.n, c.source)
        for c in ContextValue.objects.filter(indicator__institution=rocvaf_demo, level="institution")
    }
    expected = {}
    for row in read_rows():
        dimension, _, group = (part.strip() for part in row["groep"].partition(":"))
        key = (row["indicator"], int(row["jaar"]), row["reeks"], dimension, group)
        expected[key] = (Decimal(row["waarde"].replace(",", ".")), int(row["n"]) if row["n"] else None, row["bron"])
    assert stored == expected
    landelijk = {(code, year) for code, year, series, dimension, _ in stored if series == "landelijk" and not dimension}
    for code in ("2a-entree", "2b", "3b"):
        assert any(c == code for c, _ in landelijk), code
    assert not ContextValue.objects.filter(indicator__institution=rocvaf_demo, college__isnull=False).exists()


def test_demo_seed_imports_the_comparisons_once(rocvaf_demo):
    """A second demo_setup keeps the one accepted comparisons upload and stores nothing twice."""
    from io import StringIO

    from django.core.management import call_command

    from indicatoren.models import ContextValue, Upload

    before = ContextValue.objects.filter(indicator__institution=rocvaf_demo).count()
    out = StringIO()
    call_command("demo_setup", stdout=out)
    assert "Vergelijkingscijfers: al geïmporteerd." in out.getvalue()
    assert Upload.objects.filter(institution=rocvaf_demo, original_name=COMPARISONS.name).count() == 1
    assert ContextValue.objects.filter(indicator__institution=rocvaf_demo).count() == before
