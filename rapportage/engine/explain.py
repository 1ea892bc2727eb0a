"""Dutch sentences that explain a verdict: the counts and the step that decided.

Issue: "Every verdict carries its explanation" (e.g. "8 van de 12 colleges hebben hun
ambitie gehaald; tweederde is 8: behaald"). Pure string building from exact numbers; the
verdict words and the distance wording come from words.py (their one home).
"""

from decimal import ROUND_HALF_EVEN, Decimal

from rapportage.engine.words import (
    COLLEGE_WORDS,
    INDICATOR_WORDS,
    INSTITUTION_WORDS,
    nl_number,
    plural,
    teams_needed_words,
)


def nl_pair(a: Decimal | None, b: Decimal | None) -> tuple[str, str]:
    """Return a and b with the fewest decimals (1 to 6) that keep their order visible."""
    if a is None or b is None:
        return nl_number(a), nl_number(b)
    for places in range(1, 7):
        q = Decimal(1).scaleb(-places)
        ra, rb = a.quantize(q, rounding=ROUND_HALF_EVEN), b.quantize(q, rounding=ROUND_HALF_EVEN)
        if (ra > rb) == (a > b) and (ra == rb) == (a == b):
            # Same number of decimals on both sides: "7,0 tegen 7,1", not "7 tegen 7,1".
            return nl_number(ra, places), nl_number(rb, places)
    return nl_number(a), nl_number(b)


def institution_sentence(
    kind: str,
    value: Decimal | None,
    baseline: Decimal | None,
    baseline_year: int | None,
    target: Decimal | None,
    tolerance: Decimal | None,
    met: bool | None,
) -> str:
    """Return how the institution fares against its ambition (step 1): a verb and the numbers."""
    if value is None:
        return "niet vast te stellen (geen waarde op instellingsniveau)"
    if kind == "target":
        v, t = nl_pair(value, target)
        return f"{INSTITUTION_WORDS[kind][bool(met)]} ({v} tegen streefcijfer {t})"
    if baseline is None:
        return "niet vast te stellen (geen nulmeting op instellingsniveau)"
    v, b = nl_pair(value, baseline)
    if kind == "improve":
        return f"{INSTITUTION_WORDS[kind][bool(met)]} ({v} tegen nulmeting {b} uit {baseline_year})"
    margin = f", marge {nl_number(tolerance)}" if tolerance else ""
    return f"{INSTITUTION_WORDS['maintain'][bool(met)]} ({v} tegen nulmeting {b} uit {baseline_year}{margin})"


def indicator_sentence(row: dict) -> str:
    """Return the explanation of one indicator's verdict in one year."""
    year, basis = row["year"], row["basis"]
    if basis == "monitor":
        if row["ambition_year"] is not None:
            return f"De ambitie voor {row['ambition_year']} is monitoren: over {year} geen oordeel, alleen volgen."
        return f"Geen ambitie vastgesteld voor {year} of later: de indicator wordt alleen gevolgd."
    if basis == "no_data":
        return f"Geen gegevens over {year}: geen oordeel."
    prefix = ""
    if row["ambition_year"] != year:
        prefix = f"Tussentijdse toets van {year} tegen de ambitie voor {row['ambition_year']}. "
    inst = institution_sentence(
        row["ambition_type"],
        row["institution_value"],
        row["baseline"],
        row["baseline_year"],
        row["target"],
        row["tolerance"],
        row["institution_met"],
    )
    if row["institution_only"]:
        return f"{prefix}Alleen op instellingsniveau gemeten: {inst}, dus {INDICATOR_WORDS[bool(row['attained'])]}."
    met, total, needed = row["colleges_met"], row["colleges_total"], row["colleges_needed_total"]
    verb = "heeft zijn" if met == 1 else "hebben hun"
    counts = f"{met} van de {total} colleges {verb} ambitie gehaald; tweederde is {needed}"
    outside = row.get("colleges_not_applicable", 0)
    if outside:
        # domain.md, "Which teams and colleges count": they are listed, never counted.
        offer = "biedt" if outside == 1 else "bieden"
        counts += f" ({plural(outside, 'college', 'colleges')} {offer} dit niet aan en {'telt' if outside == 1 else 'tellen'} niet mee)"
    if basis == "colleges":
        return f"{prefix}{counts}: {INDICATOR_WORDS[True]}."
    if basis == "institution":
        return f"{prefix}{counts}: niet genoeg. Op instellingsniveau wel {inst}, dus alsnog {INDICATOR_WORDS[True]}."
    return f"{prefix}{counts}: niet genoeg. Op instellingsniveau ook {inst}: {INDICATOR_WORDS[False]}."


def college_sentence(row: dict, year: int) -> str:
    """Return the explanation of one college's result (step 3)."""
    basis, met = row["basis"], row["met"]
    if basis == "not_applicable":
        return f"De indicator is in {year} niet van toepassing op dit college: telt niet mee."
    if basis == "no_data":
        return (
            f"Geen gegevens over {year}: telt mee als {COLLEGE_WORDS[False]}." if met is not None else "Geen gegevens."
        )
    if basis == "college_value":
        v, r = nl_pair(row["value"], row["reference"])
        if met is None:
            return f"Collegewaarde {v} (referentie {r})."
        return f"Geen teamwaarden; het college als geheel: {v} tegen {r}: {COLLEGE_WORDS[bool(met)]}."
    total, done = row["teams_total"], row["teams_contributed"]
    if met is None:
        return f"{plural(total, 'team', 'teams')} met een waarde en een referentie."
    # The engine's margin over two-thirds (attainment.judge_with), so the threshold has one home.
    needed = done - row["teams_margin"]
    verb = "droeg" if done == 1 else "droegen"
    text = f"{done} van de {total} teams {verb} bij; tweederde is {needed}: {COLLEGE_WORDS[bool(met)]}"
    if not met:
        text += f" ({teams_needed_words(row['teams_needed'])})"
    return text + "."
