"""The words of every verdict and of its distance to the two-thirds threshold: one home for every channel.

Pages, the workbook, the charts, the change log and the explanations read their words here
(style.md, "One home per rule"), so a verdict is called the same everywhere. The agenda
(ch. 4.3) says an indicator is *behaald*, a college has its ambition *gehaald*, a team
*droeg bij*. Only phrasing lives here: the numbers (teams needed, margins) come from the
engine (attainment.py), never recomputed. Pure: no Django (the engine's import contract).
"""

from decimal import ROUND_HALF_EVEN, Decimal

INDICATOR, COLLEGE, TEAM = "indicator", "college", "team"

# Never colour alone (issue 6): every verdict has a word, and in charts and tallies a mark.
MARKS = {True: "✓", False: "✗", None: "–"}
INDICATOR_WORDS = {True: "behaald", False: "niet behaald", None: "geen oordeel"}
COLLEGE_WORDS = {True: "gehaald", False: "niet gehaald", None: "geen oordeel"}
TEAM_WORDS = {True: "droeg bij", False: "droeg niet bij", None: "geen oordeel"}
LEVEL_WORDS = {INDICATOR: INDICATOR_WORDS, COLLEGE: COLLEGE_WORDS, TEAM: TEAM_WORDS}
# Step 1 of the rule (domain.md): how the institution fares, in the verb of its ambition type.
INSTITUTION_WORDS = {
    "target": {True: "gehaald", False: "niet gehaald"},
    "improve": {True: "verbeterd", False: "niet verbeterd"},
    "maintain": {True: "behouden", False: "niet behouden"},
}

# The step that decided (contracts.md section 4: `basis` of an indicator and of a college).
INDICATOR_BASIS_WORDS = {
    "colleges": "tweederde van de colleges",
    "institution": "instellingsniveau",
    "not_met": INDICATOR_WORDS[False],
    "monitor": "alleen gevolgd",
    "no_data": "geen gegevens",
}
COLLEGE_BASIS_WORDS = {
    "teams": "teams",
    "college_value": "college als geheel",
    "no_data": "geen gegevens",
    "not_applicable": "niet van toepassing",
}
BASIS_WORDS = INDICATOR_BASIS_WORDS | COLLEGE_BASIS_WORDS


def verdict_key(verdict) -> bool | None:
    """Return a verdict as True, False or None (a missing or unknown value has no verdict)."""
    return bool(verdict) if verdict in (True, False) else None


def verdict_word(verdict, level: str = INDICATOR) -> str:
    """Return the word of a verdict at a level (indicator, college or team; agenda ch. 4.3)."""
    return LEVEL_WORDS.get(level, INDICATOR_WORDS)[verdict_key(verdict)]


def verdict_text(verdict, level: str = INDICATOR) -> str:
    """Return the mark and the word of a verdict ("✓ behaald"), for charts, tallies and legends."""
    return f"{MARKS[verdict_key(verdict)]} {verdict_word(verdict, level)}"


def verdict_legend(level: str = INDICATOR) -> str:
    """Return every mark with its word at a level ("✓ gehaald · ✗ niet gehaald · – geen oordeel")."""
    return " · ".join(verdict_text(verdict, level) for verdict in (True, False, None))


def basis_word(basis: str) -> str:
    """Return the step that decided a verdict in words; an unknown basis as it is."""
    return BASIS_WORDS.get(basis, basis)


def nl_number(value: Decimal | None, places: int | None = None) -> str:
    """Return `value` in Dutch notation (decimal comma), optionally rounded half-even to `places`."""
    if value is None:
        return "onbekend"
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = f"{value:f}"
    if "." in text and places is None:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def plural(count: int, one: str, many: str) -> str:
    """Return "<count> <noun>" with the Dutch singular or plural."""
    return f"{count} {one if count == 1 else many}"


def teams_needed_words(needed: int) -> str:
    """Return how many more teams a college needs for two-thirds ("nog 1 team nodig")."""
    return f"nog {plural(needed, 'team', 'teams')} nodig"


def college_distance(entry: dict | None) -> str:
    """Return how far one college is from flipping its result, from its STATUS entry (agenda ch. 4.3).

    The numbers are the engine's (`teams_needed`, `teams_margin`); an entry stored before the
    engine gave `teams_margin` gets no margin words until the next recompute.
    """
    if not entry or entry.get("met") is None:
        return ""
    if entry["basis"] == "no_data":
        return f"geen gegevens: telt als {COLLEGE_WORDS[False]}"
    if entry["basis"] == "college_value":
        return "geen teamwaarden: het college als geheel beoordeeld"
    if entry["met"] is False:
        return teams_needed_words(entry["teams_needed"])
    margin = entry.get("teams_margin")
    if margin is None:
        return ""
    if margin == 0:
        return f"precies tweederde: één team minder en het is {COLLEGE_WORDS[False]}"
    return f"{plural(margin, 'team', 'teams')} marge"


def indicator_distance(row: dict) -> str:
    """Return how close an indicator's verdict is to flipping (agenda ch. 4.3; the margin is the engine's)."""
    basis = row["basis"]
    if basis in ("monitor", "no_data"):
        return ""
    if row["institution_only"]:
        gap = row["institution_gap"]
        if gap is None:
            return ""
        return f"{nl_number(abs(gap))} {'boven' if gap >= 0 else 'onder'} de norm op instellingsniveau"
    margin = row["colleges_margin"]
    if basis == "colleges":
        if margin == 0:
            return "precies tweederde: één college minder en het instellingsniveau beslist"
        return f"{plural(margin, 'college', 'colleges')} marge"
    return f"nog {plural(-margin, 'college', 'colleges')} nodig voor tweederde"
