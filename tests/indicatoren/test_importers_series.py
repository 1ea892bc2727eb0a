"""Series, sources and breakdowns in benchmark files (issue 18): the optional reeks, bron and groep columns."""

import dataclasses
import hashlib
from pathlib import Path

import pytest

from indicatoren.importers import COLUMNS, EXTRA_COLUMNS, Catalogue, parse_benchmark
from kern import rules

HEADER = "jaar;indicator;college;team;waarde;n;reeks;bron;groep"
DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "data" / "rocvaf_college_values.csv"


@pytest.fixture
def catalogue():
    """Return a small agenda with breakdowns on 2a-entree and a stored comparison series 'landelijk'."""
    codes = {"1a": "score", "2a-entree": "percent", "2a-n2": "percent", "3a": "percent", "3b": "percent"}
    codes["3d"] = "percent"
    return Catalogue(
        indicators=codes,
        indicator_levels={code: frozenset({"team", "college", "institution"}) for code in codes}
        | {"3b": frozenset({"institution"})},
        colleges=frozenset("5100 5110 5200 5210 5300 5400 5500 5800 5810 7100 7110 7200".split()),
        teams={"5100-ENT": "5100"},
        years=range(2010, 2023),
        breakdowns={
            "2a-entree": {"vooropleiding": ("PrO", "vso", "vmbo-b", "afgebroken vmbo"), "niveau": ("1", "2")},
            "2a-n2": {"niveau": ("2",), "leeftijd": ("2",)},
        },
        series=frozenset({"landelijk"}),
    )


def parse(catalogue, *lines, header=HEADER):
    """Return the parse result of a semicolon file with the given data lines."""
    return parse_benchmark("\n".join([header, *lines, ""]).encode("utf-8"), "data.csv", catalogue)


def frame_digest(result) -> str:
    """Return a digest of everything a parse result holds (columns, dtypes, rows, layout, errors)."""
    rows = result.rows
    text = repr(
        (
            list(rows.columns),
            [str(t) for t in rows.dtypes],
            [tuple(r) for r in rows.itertuples(index=False)],
            result.layout,
            result.file_format,
            result.errors,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


# Digests of what the importer of commit 182467f (before issue 18's columns) made of these files.
OLD_FILES = [
    (
        DEMO_FILE.read_bytes(),
        "rocvaf_college_values.csv",
        216,
        "9ae1b239e53ec0543682301c77e8833049274f1bb89ff344be353ed1678418d4",
    ),
    (
        b"jaar;indicator;college;team;waarde;n\n2016;2a-entree;;;78;\n2016;2a-entree;5100;;77,5;120\n"
        b"2017;3b;;5100-ENT;80%;12\n",
        "x.csv",
        3,
        "91c2295665bf5d5647fb79509f15c7bdaeed05c863f65f20f89d857d0d964d73",
    ),
    (
        b"team;naam;2a-entree;n 2a-entree\n5100-ENT;Entree;77,5;40\n",
        "5100-2017.csv",
        1,
        "8c5b3428a569e2edaca2f20a2ac5e90bf304510237534e48af295da99a7c4fd8",
    ),
]


@pytest.mark.parametrize(("data", "name", "count", "digest"), OLD_FILES, ids=["demo", "long", "wide"])
def test_old_files_parse_into_exactly_the_same_frame(data, name, count, digest):
    """A file without reeks, bron or groep gives the very frame it gave before issue 18 (columns, rows, errors)."""
    codes = {"1a": "score", "2a-entree": "percent", "2a-n2": "percent", "3a": "percent", "3b": "percent"}
    codes["3d"] = "percent"
    catalogue = Catalogue(
        indicators=codes,
        indicator_levels={code: frozenset({"team", "college", "institution"}) for code in codes},
        colleges=frozenset("5100 5110 5200 5210 5300 5400 5500 5800 5810 7100 7110 7200".split()),
        teams={"5100-ENT": "5100"},
        years=range(2010, 2023),
        # What issue 18 adds to the catalogue changes nothing for such a file.
        breakdowns={"2a-entree": {"vooropleiding": ("PrO", "vso")}},
        series=frozenset({"landelijk"}),
    )
    result = parse_benchmark(data, name, catalogue)
    assert len(result.rows) == count and not result.errors
    assert list(result.rows.columns) == list(COLUMNS)
    assert frame_digest(result) == digest


# (line, expected (level, college, series, dimension, group, source)) for valid rows.
VALID = [
    ("2016;2a-entree;;;72;;landelijk;agenda r. 412;", ("institution", None, "landelijk", "", "", "agenda r. 412")),
    ("2016;2a-entree;;;72;;Landelijk;;", ("institution", None, "landelijk", "", "", None)),  # stored spelling wins
    ("2016;2a-entree;;;72;;  DUO   ROCvA ;DUO;", ("institution", None, "DUO ROCvA", "", "", "DUO")),
    ("2016;2a-entree;5100;;72;;sector;;", ("college", "5100", "sector", "", "", None)),
    ("2016;2a-entree;;;78;;;JOB 2016;", ("institution", None, "", "", "", "JOB 2016")),
    ("2016;2a-entree;;;78;;eigen;STO;", ("institution", None, "", "", "", "STO")),
    ("2016;2a-entree;;;78;;OWN;;", ("institution", None, "", "", "", None)),
    ("2016;2a-entree;;5100-ENT;78;;;STO;", ("team", "5100", "", "", "", "STO")),  # a team's own total: source only
    ("2016;2a-entree;5100;;61;25;;;vooropleiding: PrO", ("college", "5100", "", "vooropleiding", "PrO", None)),
    ("2016;2a-entree;5100;;61;25;;;Vooropleiding:pro", ("college", "5100", "", "vooropleiding", "PrO", None)),
    ("2016;2a-entree;;;61;25;;;VMBO-B", ("institution", None, "", "vooropleiding", "vmbo-b", None)),
    ("2016;2a-entree;;;61;25;;;niveau: 2", ("institution", None, "", "niveau", "2", None)),
    ("2016;2a-entree;;;64;;landelijk;;vso", ("institution", None, "landelijk", "vooropleiding", "vso", None)),
    ("2016;2a-n2;;;64;;;;leeftijd: 2", ("institution", None, "", "leeftijd", "2", None)),
    ("2016;3b;5100;;64;;landelijk;;", ("college", "5100", "landelijk", "", "", None)),  # 3b: own only institution
    ("2016;2a-entree;;;64;;landelijk;'=DUO;", ("institution", None, "landelijk", "", "", "=DUO")),  # our own CSV
]


@pytest.mark.parametrize(("line", "expected"), VALID)
def test_series_source_and_group_are_read(catalogue, line, expected):
    """Each valid row carries its series (own = ''), dimension and group in the agenda's spelling, and its source."""
    result = parse(catalogue, line)
    assert not result.errors, result.errors
    assert list(result.rows.columns) == [*COLUMNS, *EXTRA_COLUMNS]
    row = result.rows.iloc[0]
    assert (row["level"], row["college"], row["series"], row["dimension"], row["group"], row["source"]) == expected


def test_english_headers_in_any_case(catalogue):
    """'Series', 'SOURCE' and 'group' are the English names of reeks, bron and groep."""
    result = parse(
        catalogue,
        "2016;2a-entree;;;61;;landelijk;DUO;PrO",
        header="year;indicator;college;team;value;n;Series;SOURCE;group",
    )
    assert not result.errors
    assert tuple(result.rows.iloc[0][list(EXTRA_COLUMNS)]) == ("landelijk", "vooropleiding", "PrO", "DUO")


def test_one_new_column_alone_is_enough(catalogue):
    """A file with only a bron column gets every extra column, with the own series and no group."""
    result = parse(catalogue, "2016;2a-entree;;;78;JOB", header="jaar;indicator;college;team;waarde;bron")
    assert tuple(result.rows.iloc[0][list(EXTRA_COLUMNS)]) == ("", "", "", "JOB")


TOO_LONG = "x" * (rules.SERIES_MAX_LENGTH + 1)

# (lines, row, column, value, message fragment): every error of the new columns.
ERRORS = [
    (["2016;2a-entree;;5100-ENT;72;;landelijk;;"], 2, "reeks", "landelijk", "alleen op instellings- of collegeniveau"),
    (
        ["2016;2a-entree;;5100-ENT;72;;;;PrO"],
        2,
        "groep",
        "PrO",
        "alleen op instellings- of collegeniveau (kleine groepen)",
    ),
    (["2016;2a-entree;;;72;;land/elijk;;"], 2, "reeks", "land/elijk", "mag alleen letters, cijfers"),
    ([f"2016;2a-entree;;;72;;{TOO_LONG};;"], 2, "reeks", TOO_LONG, "te lang: hoogstens 40 tekens"),
    (["2016;2a-entree;;;72;;=1+2;;"], 2, "reeks", "=1+2", "mag alleen letters, cijfers"),
    (["2016;2a-entree;;;72;;;" + "b" * 201 + ";"], 2, "bron", "b" * 201, "Bron is te lang: hoogstens 200"),
    (["2016;1a;;;7;;;;PrO"], 2, "groep", "PrO", "Indicator 1a heeft in de agenda geen uitsplitsing"),
    (
        ["2016;2a-entree;;;61;;;;mbo"],
        2,
        "groep",
        "mbo",
        "gedeclareerd: vooropleiding: PrO, vso, vmbo-b, afgebroken vmbo; niveau: 1, 2",
    ),
    (
        ["2016;2a-entree;;;61;;;;geslacht: man"],
        2,
        "groep",
        "geslacht: man",
        "Dimensie 'geslacht' is voor indicator 2a-entree niet gedeclareerd",
    ),
    (
        ["2016;2a-entree;;;61;;;;niveau: PrO"],
        2,
        "groep",
        "niveau: PrO",
        "Groep 'niveau: PrO' is voor indicator 2a-entree niet gedeclareerd",
    ),
    (
        ["2016;2a-n2;;;61;;;;2"],
        2,
        "groep",
        "2",
        "in meer dan één dimensie voor (niveau, leeftijd); schrijf 'dimensie: groep'",
    ),
    (
        ["2016;studenten;5100;;900;;landelijk;;"],
        2,
        "reeks",
        "landelijk",
        "Studentaantallen (studenten) hebben geen reeks of groep",
    ),
    (["2016;studenten;5100;;900;;;;PrO"], 2, "groep", "PrO", "Studentaantallen (studenten) hebben geen reeks of groep"),
    (
        ["2016;2a-entree;;;72;;landelijk;;", "2016;2a-entree;;;73;;LANDELIJK;;"],
        3,
        "indicator",
        "2a-entree",
        "Dubbele waarde voor indicator 2a-entree, jaar 2016, de instelling, reeks landelijk: staat ook in rij 2",
    ),
    (
        ["2016;2a-entree;5100;;72;;;;PrO", "2016;2a-entree;5100;;73;;eigen;;vooropleiding: pro"],
        3,
        "indicator",
        "2a-entree",
        "Dubbele waarde voor indicator 2a-entree, jaar 2016, college 5100, vooropleiding: PrO: staat ook in rij 2",
    ),
    (
        ["2016;2a-entree;;;78;;;JOB;", "2016;2a-entree;;;79;;own;STO;"],
        3,
        "indicator",
        "2a-entree",
        "Dubbele waarde voor indicator 2a-entree, jaar 2016, de instelling: staat ook in rij 2",
    ),
    (["2016;3b;5100;;64;;;;"], 2, "indicator", "3b", "Indicator 3b wordt alleen op instellingsniveau gemeten"),
]


@pytest.mark.parametrize(("lines", "row", "column", "value", "fragment"), ERRORS)
def test_every_error_of_the_new_columns_names_row_and_column(catalogue, lines, row, column, value, fragment):
    """Each mistake in reeks, bron or groep is one Dutch error at its row and column; nothing is kept."""
    result = parse(catalogue, *lines)
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    assert (error.row, error.column, error.value) == (row, column, value)
    assert fragment in error.message
    assert not result.ok


def test_same_unit_in_different_series_and_groups_is_no_duplicate(catalogue):
    """The own total, landelijk, and two groups of one indicator, year and unit are four rows, not duplicates."""
    result = parse(
        catalogue,
        "2016;2a-entree;;;78;;;;",
        "2016;2a-entree;;;72;;landelijk;;",
        "2016;2a-entree;;;61;30;;;PrO",
        "2016;2a-entree;;;66;;landelijk;;PrO",
    )
    assert not result.errors and len(result.rows) == 4


def test_a_director_sends_no_comparison_series(catalogue):
    """A college-scoped upload may carry its college's breakdowns but never a comparison series."""
    scoped = dataclasses.replace(catalogue, scope_college="5100")
    ok = parse(scoped, "2016;2a-entree;5100;;61;30;;;PrO")
    assert not ok.errors
    refused = parse(scoped, "2016;2a-entree;5100;;72;;landelijk;;")
    assert [(e.column, e.message) for e in refused.errors] == [
        ("reeks", "Vergelijkingsreeksen (reeks 'landelijk') worden alleen door beleidsmedewerkers aangeleverd")
    ]
    institution = parse(scoped, "2016;2a-entree;;;72;;landelijk;;")
    assert any("Alleen gegevens van college 5100" in e.message for e in institution.errors)
