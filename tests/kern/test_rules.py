"""The value rules and the plausibility rule (kern/rules.py): pure, table-driven, no database."""

from decimal import Decimal

import pytest

from kern import rules

D = Decimal


@pytest.mark.parametrize(
    ("unit", "value", "fragment"),
    [
        ("percent", D("100.1"), "tussen 0 en 100"),
        ("percent", D("-0.1"), "tussen 0 en 100"),
        ("score", D("0.9"), "tussen 1 en 10"),
        ("score", D("10.01"), "tussen 1 en 10"),
        ("count", D("-1"), "minstens 0"),
        ("count", D("1000000000000"), "te groot"),
        ("percent", D("77.1234567"), "Te veel decimalen"),
    ],
)
def test_value_outside_the_rules_gets_a_dutch_message(unit, value, fragment):
    """Unit ranges, storable size and the 6 decimals give one message on every channel."""
    assert fragment in rules.value_problem(unit, value)


@pytest.mark.parametrize(
    ("unit", "value"),
    [
        ("percent", D(0)),
        ("percent", D(100)),
        ("score", D(1)),
        ("score", D(10)),
        ("count", D("999999999999.999999")),
        ("percent", D("77.500000000")),
    ],
)
def test_values_on_the_edges_are_valid(unit, value):
    """Bounds are inclusive; trailing zeros past 6 decimals are not extra decimals."""
    assert rules.value_problem(unit, value) is None


TEAMS_85 = [D(x) for x in ("84.1", "85.0", "85.9", "86.3", "83.8", "87.2", "85.5", "84.9")]
VSV_6 = [D(x) for x in ("5.1", "6.0", "6.4", "5.8", "7.2", "6.6", "5.5")]


@pytest.mark.parametrize(
    ("unit", "value", "peers", "previous", "checks"),
    [
        # '8,77' typed for 85,9: far from its own 2020 value and from every peer.
        ("percent", D("8.77"), TEAMS_85, (2020, D("85.9")), ["peers", "history"]),
        # A vsv of 95 %: likewise.
        ("percent", D("95"), VSV_6, (2020, D("6.1")), ["peers", "history"]),
        # An honest improvement of a few points: no flag.
        ("percent", D("89.5"), TEAMS_85, (2020, D("85.9")), []),
        # A big jump towards the peers (a team catching up): history says far, peers say close.
        ("percent", D("84"), TEAMS_85, (2020, D("60")), []),
        # Far from tight peers but not from its own history (a special programme): no flag.
        ("percent", D("22"), VSV_6, (2020, D("24")), []),
        # No history: only a very large distance from the peers counts (programmes differ).
        ("percent", D("22"), VSV_6, None, []),
        ("percent", D("95"), VSV_6, None, ["peers"]),
        # Too few peers and no history: nothing to judge by.
        ("percent", D("95"), VSV_6[:3], None, []),
        # Too few peers but a jump in its own history: the history decides.
        ("percent", D("95"), VSV_6[:3], (2020, D("6")), ["history"]),
        # Scores: a 2,1 typed for 7,1.
        (
            "score",
            D("2.1"),
            [D(x) for x in ("7.0", "7.2", "6.9", "7.4", "7.1", "6.8")],
            (2020, D("7.1")),
            ["peers", "history"],
        ),
        # Counts: 0 -> 1 among mostly-zero peers is never far.
        ("count", D(1), [D(x) for x in ("0", "0", "0", "0", "1", "2")], (2020, D(0)), []),
        # Counts: ten times the previous year.
        (
            "count",
            D("1500"),
            [D(x) for x in ("140", "150", "160", "155", "148")],
            (2020, D("150")),
            ["peers", "history"],
        ),
    ],
)
def test_plausibility_flags(unit, value, peers, previous, checks):
    """A value is flagged when every check with enough data calls it far (rules.py documents the rule)."""
    flags = rules.plausibility_flags(unit, value, peers=peers, previous=previous)
    assert [flag.check for flag in flags] == checks
    if flags:
        assert rules.flags_text(flags).startswith("Onwaarschijnlijke waarde: ")
