"""Close peers clear a jump from history only when enough of them were not written together with the value.

domain.md, "Plausibility": a value far from its own history is flagged. A file that gave every team
0,85 for last year's 84-89 % was stored without a flag: the six wrong values were each other's peers.
"""

from decimal import Decimal

from kern import rules

SIX_FRACTIONS = [Decimal("0.85")] * 6
LAST_YEAR = (2020, Decimal(85))


def test_a_jump_among_peers_all_from_the_same_file_is_flagged():
    flags = rules.plausibility_flags("percent", Decimal("0.85"), peers=SIX_FRACTIONS, previous=LAST_YEAR, independent=0)
    assert [flag.check for flag in flags] == ["history"]
    assert "grote sprong ten opzichte van 2020: toen 85" in flags[0].reason


def test_enough_independent_close_peers_still_clear_an_honest_jump():
    peers = [Decimal(v) for v in (60, 61, 62, 63, 64, 65)]
    previous = (2020, Decimal(85))
    assert rules.plausibility_flags("percent", Decimal(62), peers=peers, previous=previous, independent=5) == []
    assert rules.plausibility_flags("percent", Decimal(62), peers=peers, previous=previous) == []  # None: all
    flags = rules.plausibility_flags("percent", Decimal(62), peers=peers, previous=previous, independent=4)
    assert [flag.check for flag in flags] == ["history"]


def test_a_value_without_history_is_still_judged_by_its_file_mates():
    peers = [Decimal(v) for v in (5, 6, 7, 6, 5, 95)]
    flags = rules.plausibility_flags("percent", Decimal(95), peers=peers, previous=None, independent=0)
    assert [flag.check for flag in flags] == ["peers"]
