"""Dutch sentences that explain a verdict: the counts, the step that decided, the distance.

Issue: "Every verdict carries its explanation" (e.g. "8 van de 12 colleges hebben hun
ambitie gehaald; tweederde is 8: behaald"). Pure string building from exact numbers.
"""

from decimal import ROUND_HALF_EVEN, Decimal

TYPE_WORDS = {"target": "streefcijfer", "improve": "verbeteren", "maintain": "behoud", "monitor": "monitoren"}


def nl_number(value: Decimal | None, places: int | None = None) -> str:
    """Return `value` in Dutch notation (decimal comma), optionally rounded to `places`."""
    if value is None:
        return "onbekend"
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = f"{value:f}"
    if "." in text and places is None:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


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


def plural(count: int, one: str, many: str) -> str:
    """Return "<count> <noun>" with the Dutch singular or plural."""
    return f"{count} {one if count == 1 else many}"


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
        return f"{'gehaald' if met else 'niet gehaald'} ({v} tegen streefcijfer {t})"
    if baseline is None:
        return "niet vast te stellen (geen nulmeting op instellingsniveau)"
    v, b = nl_pair(value, baseline)
    if kind == "improve":
        return f"{'verbeterd' if met else 'niet verbeterd'} ({v} tegen nulmeting {b} uit {baseline_year})"
    margin = f", marge {nl_number(tolerance)}" if tolerance else ""
    return f"{'behouden' if met else 'niet behouden'} ({v} tegen nulmeting {b} uit {baseline_year}{margin})"


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
        verdict = "behaald" if row["attained"] else "niet behaald"
        return f"{prefix}Alleen op instellingsniveau gemeten: {inst}, dus {verdict}."
    met, total, needed = row["colleges_met"], row["colleges_total"], row["colleges_needed_total"]
    verb = "heeft zijn" if met == 1 else "hebben hun"
    counts = f"{met} van de {total} colleges {verb} ambitie gehaald; tweederde is {needed}"
    if basis == "colleges":
        return f"{prefix}{counts}: behaald."
    if basis == "institution":
        return f"{prefix}{counts}: niet genoeg. Op instellingsniveau wel {inst}, dus alsnog behaald."
    return f"{prefix}{counts}: niet genoeg. Op instellingsniveau ook {inst}: niet behaald."


def indicator_distance(row: dict) -> str:
    """Return how close the verdict is to flipping, in words."""
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


def college_sentence(row: dict, year: int) -> str:
    """Return the explanation of one college's result (step 3)."""
    basis, met = row["basis"], row["met"]
    if basis == "no_data":
        return f"Geen gegevens over {year}: telt mee als niet gehaald." if met is not None else "Geen gegevens."
    if basis == "college_value":
        v, r = nl_pair(row["value"], row["reference"])
        if met is None:
            return f"Collegewaarde {v} (referentie {r})."
        return f"Geen teamwaarden; het college als geheel: {v} tegen {r}: {'gehaald' if met else 'niet gehaald'}."
    total, done = row["teams_total"], row["teams_contributed"]
    if met is None:
        return f"{plural(total, 'team', 'teams')} met een waarde en een referentie."
    needed = (2 * total + 2) // 3
    verb = "droeg" if done == 1 else "droegen"
    text = f"{done} van de {total} teams {verb} bij; tweederde is {needed}: {'gehaald' if met else 'niet gehaald'}"
    if not met:
        text += f" (nog {plural(row['teams_needed'], 'team', 'teams')} nodig)"
    return text + "."
