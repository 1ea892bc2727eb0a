"""The series label and the small-group rule (issue 18): one home in kern.rules for every channel."""

import pytest

from kern import rules


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("", ""),
        (None, ""),
        ("eigen", ""),
        (" OWN ", ""),
        ("Eigen", ""),
        ("landelijk", "landelijk"),
        ("  DUO   ROCvA ", "DUO ROCvA"),
        ("ROC Mondriaan", "ROC Mondriaan"),
        ("sector_zorg-2.0", "sector_zorg-2.0"),
        ("x" * 40, "x" * 40),
        ("Zuid-Holland é", "Zuid-Holland é"),
    ],
)
def test_series_label_normalises_and_names_the_own_series(text, label):
    """Spaces are trimmed and collapsed, 'eigen' and 'own' (any case) are the own series, other labels keep their spelling."""
    assert rules.series_label(text) == (label, None)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x" * 41, "te lang: hoogstens 40 tekens"),
        ("land/elijk", "mag alleen letters, cijfers, spaties"),
        ("=1+2", "mag alleen letters"),
        ("a\tb c;", "mag alleen letters"),
    ],
)
def test_series_label_refuses_long_or_odd_labels(text, fragment):
    """A label over 40 characters or with other characters is refused in Dutch."""
    label, problem = rules.series_label(text)
    assert label == "" and fragment in problem


def test_series_match_finds_the_stored_spelling():
    """'LANDELIJK' is the stored 'landelijk'; a new label keeps its own spelling."""
    assert rules.series_match("LANDELIJK", {"landelijk", "DUO"}) == "landelijk"
    assert rules.series_match("Sector", {"landelijk"}) == "Sector"


@pytest.mark.parametrize(
    ("n", "small"), [(None, False), (0, True), (1, True), (19, True), (20, False), (21, False), (5000, False)]
)
def test_small_group_is_a_known_n_below_twenty(n, small):
    """n below 20 is a small group; 20 and more is not; an unknown n is not (pages show it to staff)."""
    assert rules.SMALL_GROUP_N == 20
    assert rules.small_group(n) is small
