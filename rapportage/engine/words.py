"""The words of every verdict and of its distance to the two-thirds threshold: one home for every channel.

Pages, the workbook, the charts, the change log and the explanations read their words here
(style.md, "One home per rule"), so a verdict is called the same everywhere. The agenda
(ch. 4.3) says an indicator is *behaald*, a college has its ambition *gehaald*, a team
*droeg bij*. Only phrasing lives here: the numbers (teams needed, margins) come from the
engine (attainment.py), never recomputed. Pure: no Django (the engine's import contract).
"""

from decimal import ROUND_HALF_EVEN, ROUND_UP, Decimal

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


def nl_amount(value: Decimal, up: bool = False) -> str:
    """Return a margin or shortfall with one decimal, more only where one would show 0 (up: never understated)."""
    for places in range(1, 7):
        q = Decimal(1).scaleb(-places)
        shown = value.quantize(q, rounding=ROUND_UP if up else ROUND_HALF_EVEN)
        if shown != 0 or value == 0:
            return nl_number(shown, places).rstrip("0").rstrip(",") if value == 0 else nl_number(shown, places)
    return nl_number(value)


def institution_distance(row: dict) -> str:
    """Return how far the institution level is from flipping step 1, from the engine's `institution_gap`.

    The gap is >= 0 when met (> 0 for improve), so it is the margin of a verdict that rests on
    the institution level (basis `institution`, or an institution-only indicator) and the
    shortfall of one that fails there. Empty when step 1 cannot be decided.
    """
    gap = row.get("institution_gap")
    if gap is None:
        return ""
    strict = row.get("ambition_type") == "improve"
    if row.get("institution_met"):
        return f"marge {nl_amount(gap)}"
    if strict and gap == 0:
        return "op instellingsniveau nog een verbetering nodig"
    return f"op instellingsniveau nog {'meer dan ' if strict else ''}{nl_amount(-gap, up=True)} nodig"


def indicator_distance(row: dict) -> str:
    """Return how close an indicator's verdict is to flipping, for every basis (agenda ch. 4.3).

    The margins are the engine's: `colleges_margin` for two-thirds of the colleges and
    `institution_gap` for the fallback. A verdict that rests on the fallback says so with its
    real margin ("behaald via instellingsniveau, marge 0,2"), never only the colleges it lacks
    (issue 15, item 2: a green verdict 0,2 from flipping must not look safe).
    """
    basis = row["basis"]
    if basis in ("monitor", "no_data"):
        return ""
    inst = institution_distance(row)
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
    colleges = f"nog {plural(-margin, 'college', 'colleges')} nodig voor tweederde"
    if basis == "institution":
        return f"{INDICATOR_WORDS[True]} via instellingsniveau{', ' + inst if inst else ''}; {colleges}"
    return f"{colleges}, of {inst}" if inst else colleges


# --- guidance for one team (issue 15, item 1) ---------------------------------------------------

TEAM_STATE_WORDS = {True: "draagt bij", False: "draagt niet bij", None: "nog geen waarde"}
_BETTER = {1: "hoger is beter", -1: "lager is beter"}


def need_symbol(d: int, strict: bool) -> str:
    """Return the comparison a team value must pass: ≥ or > (higher is better), ≤ or < (lower)."""
    if d >= 0:
        return ">" if strict else "≥"
    return "<" if strict else "≤"


def short_words(need, value) -> str:
    """Return how much more a team needs ("nog 0,3 nodig"), or "" when it contributes or has no value."""
    short = need.short_by(value) if need is not None else None
    if short is None:
        return ""
    if need.strict:
        return "nog een verbetering nodig" if short == 0 else f"nog meer dan {nl_number(short)} nodig"
    return f"nog {nl_number(short)} nodig"


def reference_sentence(reference, own: bool, baseline_year) -> str:
    """Return what a team's reference is, in plain Dutch (domain.md step 2)."""
    if reference is None:
        return (
            f"Dit team heeft geen referentie: geen eigen waarde in {baseline_year} en het college ook niet."
            " Het telt alleen mee door het streefcijfer te halen."
        )
    whose = "de eigen waarde van het team" if own else "de waarde van het college (het team had toen geen eigen waarde)"
    return f"Referentie {nl_number(reference)} is {whose} in het nulmetingsjaar {baseline_year}."


def rule_sentence(kind: str, d: int, reference, target, baseline, tolerance, need) -> str:
    """Return the team rule of step 2 for one ambition, with this team's numbers (domain.md)."""
    better = _BETTER.get(d, _BETTER[1])
    if need is None:
        return "Voor deze ambitie valt niet te bepalen wat het team nodig heeft."
    threshold = f"{need_symbol(d, need.strict)} {nl_number(need.value)}"
    if kind == "target":
        if reference is None or baseline is None:
            return (
                f"Een team draagt bij als het het streefcijfer {nl_number(target)} haalt ({better}): nodig {threshold}."
            )
        gain = target - baseline
        return (
            f"Een team draagt bij als het minstens {nl_number(abs(gain))} beter scoort dan zijn referentie"
            f" (zoveel als de instelling moet verbeteren: streefcijfer {nl_number(target)} min nulmeting"
            f" {nl_number(baseline)}) of het streefcijfer haalt ({better}): nodig {threshold}."
        )
    if kind == "improve":
        return f"Een team draagt bij als het beter scoort dan zijn referentie {nl_number(reference)} ({better}): nodig {threshold}."
    margin = f"meer dan {nl_number(tolerance)} " if tolerance else ""
    return (
        f"Een team draagt bij als het niet {margin}slechter scoort dan zijn referentie"
        f" {nl_number(reference)} ({better}): nodig {threshold}."
    )


def team_hint(reference, need, value) -> str:
    """Return the grid's compact line under a cell ("ref. 6,5 · nodig ≥ 6,6 · nog 0,1 nodig")."""
    parts = [f"ref. {nl_number(reference)}" if reference is not None else "geen ref."]
    if need is not None:
        parts.append(f"nodig {need_symbol(need.d, need.strict)} {nl_number(need.value)}")
        if value is None:
            parts.append(TEAM_STATE_WORDS[None])
        else:
            parts.append(short_words(need, value) or TEAM_STATE_WORDS[True])
    return " · ".join(parts)


def team_rule_text(kind: str, d: int, target, baseline, tolerance, baseline_year) -> str:
    """Return the team rule of step 2 for every team of an indicator, with the reference explained."""
    better = _BETTER.get(d, _BETTER[1])
    reference = (
        f"Referentie: de waarde van het team in het nulmetingsjaar {baseline_year},"
        " of die van het college als het team toen geen waarde had."
    )
    if kind == "target":
        if baseline is None:
            rule = f"Een team draagt bij als het het streefcijfer {nl_number(target)} haalt ({better})."
        else:
            rule = (
                f"Een team draagt bij als het minstens {nl_number(abs(target - baseline))} beter scoort dan zijn"
                f" referentie (streefcijfer {nl_number(target)} min nulmeting {nl_number(baseline)}) of het"
                f" streefcijfer haalt ({better})."
            )
    elif kind == "improve":
        rule = f"Een team draagt bij als het beter scoort dan zijn referentie ({better})."
    elif kind == "maintain":
        margin = f"meer dan {nl_number(tolerance)} " if tolerance else ""
        rule = f"Een team draagt bij als het niet {margin}slechter scoort dan zijn referentie ({better})."
    else:
        return ""
    return f"{reference} {rule}"
