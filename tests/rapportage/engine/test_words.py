"""The one home of the verdict words and of the distance to two-thirds (agenda ch. 4.3)."""

from decimal import Decimal

import pytest

from rapportage.engine import words
from rapportage.engine.explain import college_sentence
from tests.rapportage.engine.scenario import colleges_by_teams, two_thirds

COMBOS = [(total, contributed) for total in range(1, 31) for contributed in range(total + 1)]


def test_the_distance_words_follow_the_engine_for_every_combination():
    """For 1..30 teams and every count that contributed: 'nog N nodig', 'precies tweederde' or 'N marge'."""
    for (total, contributed), row in colleges_by_teams(COMBOS).items():
        met = bool(row["met"])
        entry = {
            "met": met,
            "basis": row["basis"],
            "teams_total": total,
            "teams_contributed": contributed,
            "teams_needed": int(row["teams_needed"]) if not met else 0,
            "teams_margin": int(row["teams_margin"]),
        }
        surplus = contributed - two_thirds(total)
        if surplus < 0:
            expected = f"nog {-surplus} {'team' if surplus == -1 else 'teams'} nodig"
        elif surplus == 0:
            expected = "precies tweederde: één team minder en het is niet gehaald"
        else:
            expected = f"{surplus} {'team' if surplus == 1 else 'teams'} marge"
        assert words.college_distance(entry) == expected, (total, contributed)
        # The explanation names the same threshold, taken from the engine's margin.
        sentence = college_sentence(entry | {"value": None, "reference": None}, 2020)
        assert f"tweederde is {two_thirds(total)}:" in sentence


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"met": False, "basis": "teams", "teams_needed": 1, "teams_margin": -1}, "nog 1 team nodig"),
        ({"met": False, "basis": "teams", "teams_needed": 2, "teams_margin": -2}, "nog 2 teams nodig"),
        (
            {"met": True, "basis": "teams", "teams_needed": 0, "teams_margin": 0},
            "precies tweederde: één team minder en het is niet gehaald",
        ),
        ({"met": True, "basis": "teams", "teams_needed": 0, "teams_margin": 1}, "1 team marge"),
        ({"met": True, "basis": "teams", "teams_needed": 0, "teams_margin": 2}, "2 teams marge"),
        (
            {"met": False, "basis": "no_data", "teams_needed": 0, "teams_margin": 0},
            "geen gegevens: telt als niet gehaald",
        ),
        (
            {"met": True, "basis": "college_value", "teams_needed": 0, "teams_margin": 0},
            "geen teamwaarden: het college als geheel beoordeeld",
        ),
        ({"met": None, "basis": "teams", "teams_needed": 0, "teams_margin": -3}, ""),
        (None, ""),
        # Stored before the engine gave the margin: no words rather than a second two-thirds formula.
        ({"met": True, "basis": "teams", "teams_needed": 0, "teams_contributed": 8, "teams_total": 9}, ""),
        (
            {"met": False, "basis": "teams", "teams_needed": 1, "teams_contributed": 5, "teams_total": 9},
            "nog 1 team nodig",
        ),
    ],
)
def test_college_distance_phrases_the_engines_numbers(entry, expected):
    """The words of a college's distance come from teams_needed and teams_margin only."""
    assert words.college_distance(entry) == expected


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            {"basis": "colleges", "institution_only": False, "colleges_margin": 0},
            "precies tweederde: één college minder en het instellingsniveau beslist",
        ),
        ({"basis": "colleges", "institution_only": False, "colleges_margin": 1}, "1 college marge"),
        ({"basis": "colleges", "institution_only": False, "colleges_margin": 3}, "3 colleges marge"),
        (
            {"basis": "institution", "institution_only": False, "colleges_margin": -1},
            "behaald via instellingsniveau; nog 1 college nodig voor tweederde",
        ),
        # Issue 15 item 2: a verdict that rests on the fallback shows the fallback's real margin.
        (
            {
                "basis": "institution",
                "institution_only": False,
                "colleges_margin": -4,
                "ambition_type": "target",
                "institution_met": True,
                "institution_gap": Decimal("0.2"),
            },
            "behaald via instellingsniveau, marge 0,2; nog 4 colleges nodig voor tweederde",
        ),
        (
            {
                "basis": "institution",
                "institution_only": False,
                "colleges_margin": -1,
                "ambition_type": "maintain",
                "institution_met": True,
                "institution_gap": Decimal("0"),
            },
            "behaald via instellingsniveau, marge 0; nog 1 college nodig voor tweederde",
        ),
        (
            {
                "basis": "institution",
                "institution_only": False,
                "colleges_margin": -4,
                "ambition_type": "target",
                "institution_met": True,
                "institution_gap": Decimal("0.004394"),
            },
            "behaald via instellingsniveau, marge 0,004; nog 4 colleges nodig voor tweederde",
        ),
        (
            {
                "basis": "not_met",
                "institution_only": False,
                "colleges_margin": -1,
                "ambition_type": "maintain",
                "institution_met": False,
                "institution_gap": Decimal("-0.12"),
            },
            "nog 1 college nodig voor tweederde, of op instellingsniveau nog 0,2 nodig",
        ),
        (
            {
                "basis": "not_met",
                "institution_only": False,
                "colleges_margin": -2,
                "ambition_type": "target",
                "institution_met": False,
                "institution_gap": Decimal("-0.35"),
            },
            "nog 2 colleges nodig voor tweederde, of op instellingsniveau nog 0,4 nodig",
        ),
        (
            {
                "basis": "not_met",
                "institution_only": False,
                "colleges_margin": -2,
                "ambition_type": "improve",
                "institution_met": False,
                "institution_gap": Decimal("-0.1"),
            },
            "nog 2 colleges nodig voor tweederde, of op instellingsniveau nog meer dan 0,1 nodig",
        ),
        (
            {
                "basis": "not_met",
                "institution_only": False,
                "colleges_margin": -1,
                "ambition_type": "improve",
                "institution_met": False,
                "institution_gap": Decimal("0"),
            },
            "nog 1 college nodig voor tweederde, of op instellingsniveau nog een verbetering nodig",
        ),
        ({"basis": "not_met", "institution_only": False, "colleges_margin": -2}, "nog 2 colleges nodig voor tweederde"),
        ({"basis": "monitor", "institution_only": False, "colleges_margin": -8}, ""),
        ({"basis": "no_data", "institution_only": False, "colleges_margin": -8}, ""),
        (
            {"basis": "institution", "institution_only": True, "institution_gap": Decimal("0.2")},
            "0,2 boven de norm op instellingsniveau",
        ),
        (
            {"basis": "not_met", "institution_only": True, "institution_gap": Decimal("-1.25")},
            "1,25 onder de norm op instellingsniveau",
        ),
        ({"basis": "not_met", "institution_only": True, "institution_gap": None}, ""),
    ],
)
def test_indicator_distance_phrases_the_engines_margin(row, expected):
    """An indicator's distance: colleges to spare or short of two-thirds, or the institution's gap."""
    assert words.indicator_distance(row) == expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("indicator", ("behaald", "niet behaald", "geen oordeel")),
        ("college", ("gehaald", "niet gehaald", "geen oordeel")),
        ("team", ("droeg bij", "droeg niet bij", "geen oordeel")),
    ],
)
def test_each_level_has_its_own_verdict_words(level, expected):
    """An indicator is behaald, a college has gehaald, a team droeg bij (agenda ch. 4.3)."""
    assert tuple(words.verdict_word(v, level) for v in (True, False, None)) == expected
    assert tuple(words.verdict_text(v, level) for v in (True, False, None)) == tuple(
        f"{mark} {word}" for mark, word in zip("✓✗–", expected, strict=True)
    )
    assert words.verdict_legend(level) == " · ".join(
        f"{mark} {word}" for mark, word in zip("✓✗–", expected, strict=True)
    )


@pytest.mark.parametrize(
    ("value", "key"), [(True, True), (False, False), (None, None), ("", None), (1, True), (0, False)]
)
def test_a_missing_verdict_has_no_verdict_word(value, key):
    """Anything but a boolean (a missing template value, null) reads as 'geen oordeel'."""
    assert words.verdict_key(value) is key
    assert words.verdict_word(value, "college") == words.COLLEGE_WORDS[key]


def test_basis_words_cover_every_basis_of_the_contract():
    """Every indicator and college basis of contracts.md has its words; an unknown one is shown as it is."""
    for basis in (
        "colleges",
        "institution",
        "not_met",
        "monitor",
        "no_data",
        "teams",
        "college_value",
        "not_applicable",
    ):
        assert words.basis_word(basis) != basis or basis == "teams"
    assert words.basis_word("something_new") == "something_new"
