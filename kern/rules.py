"""The rules a value must obey, and when a valid value looks implausible: one home for every channel.

Pure Python (no Django): the write service, the importer, the agenda file's checker, the
grid, the admin (through `Measurement.clean()`) and the synthetic demo all ask this module,
so a unit range, the decimal limit or the plausibility rule changes in one place
(domain.md, "Data that can be trusted before it moves money"; issue 12).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal

PERCENT, SCORE, COUNT = "percent", "score", "count"

# Ranges per unit: percentages are stored as percent (77.5, not 0.775), scores are Dutch
# report marks 1-10, counts have no upper bound (domain.md, "Hierarchy and data").
UNIT_RANGES: dict[str, tuple[Decimal, Decimal | None]] = {
    PERCENT: (Decimal(0), Decimal(100)),
    SCORE: (Decimal(1), Decimal(10)),
    COUNT: (Decimal(0), None),
}
UNIT_NAMES = {PERCENT: "een percentage", SCORE: "een rapportcijfer", COUNT: "een aantal"}

# Storage holds numeric(18, 6) (kern.fields.ValueField, exact on every backend): 6 decimals, 12 whole digits.
MAX_DECIMALS = 6
MAX_DIGITS = 18
MAX_VALUE = Decimal(10) ** (MAX_DIGITS - MAX_DECIMALS)  # exclusive
STORAGE_PLACES = Decimal(1).scaleb(-MAX_DECIMALS)
MAX_WHOLE = 2**31 - 1  # n and student numbers: PostgreSQL integer
MAX_CENTS = 2**63 - 1  # amounts in euro cents: PostgreSQL bigint (BigIntegerField)
# A spreadsheet number cell is a binary float, and Excel keeps 15 significant digits of it: a decimal
# of at most 15 digits survives both exactly, a longer one (storage holds 18) may not. The grid's
# export writes a longer value as text (invoer.grid) and the importer refuses a number cell whose
# float may have rounded one (indicatoren.importers): one bound for both.
EXCEL_DIGITS = 15


def dutch(value: Decimal) -> str:
    """Return a decimal as the Dutch interface shows it: decimal comma, no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def float_keeps(value: Decimal) -> bool:
    """Return whether the float nearest to `value` prints exactly its digits (a float keeps 15 to 17, a value 18).

    JSON and YAML numbers are floats to most readers: a value is written as a float only then,
    else as its exact digits (rapportage.engine.exact_json, agenda.schema.dump_agenda_text).
    """
    return Decimal(repr(float(value))) == value


def decimal_places(value: Decimal) -> int:
    """Return how many decimals a value needs ('77,50' needs 1; at most MAX_DECIMALS are counted exactly)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -MAX_DECIMALS:
        return max(0, -exponent)  # few enough as written: no need to strip trailing zeros (fast path)
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def range_problem(unit: str, value: Decimal, shown: str | None = None) -> str | None:
    """Return why `value` lies outside the unit's range or storage, or None; `shown` is the text as typed."""
    low, high = UNIT_RANGES[unit]
    if (low <= value and (high is None or value <= high)) and abs(value) < MAX_VALUE:
        return None  # the usual case first: no message to build
    shown = shown if shown is not None else dutch(value)
    if value < low or (high is not None and value > high):
        bounds = f"tussen {dutch(low)} en {dutch(high)} liggen" if high is not None else f"minstens {dutch(low)} zijn"
        return f"Waarde {shown} past niet bij de eenheid van de indicator, {UNIT_NAMES[unit]}: moet {bounds}."
    if abs(value) >= MAX_VALUE:
        return f"Waarde {shown} is te groot: gebruik hoogstens {MAX_DIGITS - MAX_DECIMALS} cijfers voor de komma."
    return None


def decimals_message(shown: str) -> str:
    """Return the message for a number with more decimals than storage keeps."""
    return f"Te veel decimalen in {shown}; rond af op ten hoogste {MAX_DECIMALS} cijfers achter de komma."


def decimals_problem(value: Decimal, shown: str | None = None) -> str | None:
    """Return why a value has too many decimals to store exactly, or None."""
    if decimal_places(value) > MAX_DECIMALS:
        return decimals_message(shown if shown is not None else format(value, "f").replace(".", ","))
    return None


def value_problem(unit: str, value: Decimal, shown: str | None = None) -> str | None:
    """Return why a value may not be stored for an indicator of this unit, or None."""
    return range_problem(unit, value, shown) or decimals_problem(value, shown)


def n_problem(n: int | None) -> str | None:
    """Return why a cohort size n is not valid, or None (n is optional)."""
    if n is None:
        return None
    if n < 0 or n > MAX_WHOLE:
        return f"n moet een geheel getal van 0 tot en met {MAX_WHOLE} zijn."
    return None


def student_count_problem(count: int) -> str | None:
    """Return why a student number is not valid, or None."""
    if count < 0 or count > MAX_WHOLE:
        return f"Een studentaantal moet een geheel getal van 0 tot en met {MAX_WHOLE} zijn."
    return None


# --- plausibility -----------------------------------------------------------------------------
# A flag asks for a second look, never blocks (domain.md). The rule is robust against the
# outliers it looks for: the median and the median absolute deviation (MAD) of the peers
# (Iglewicz & Hoaglin's modified z-score, |0.6745 (x - median) / MAD| > 3.5), and a jump
# against the unit's own nearest earlier value. A value is flagged only when every check
# that has enough data calls it far, so an honest change in a small team stays quiet while
# "8,77 typed for 85,9" or "a vsv of 95 %" is caught by both. Peers written in the same write
# do not count as data that clears a jump: a whole file off by a factor 100 agrees with itself.

MODIFIED_Z_LIMIT = Decimal("3.5")
MODIFIED_Z_FACTOR = Decimal("0.6745")
MIN_PEERS = 5  # fewer peers say nothing robust about a spread
# Smallest distance that counts as far, per unit: the spread of tight peers (all teams
# at 85-86 %) must not flag a value one point off. Percentage points and report-mark points.
MIN_DISTANCE = {PERCENT: Decimal(10), SCORE: Decimal("1.5")}
# A jump against the unit's own earlier value: percentage points, report-mark points, or a
# factor for counts.
JUMP_LIMIT = {PERCENT: Decimal(20), SCORE: Decimal(2)}
COUNT_JUMP_FACTOR = Decimal(3)
MIN_COUNT_DISTANCE = Decimal(5)  # counts: a change of a handful (0 -> 1) is never far
NEW_UNIT_FACTOR = 3  # a unit without history: flagged only at three times the peer distance


@dataclass(frozen=True)
class Flag:
    """Why a valid value looks implausible: a short Dutch reason for the user and the history."""

    check: str  # "peers" | "history"
    reason: str


@dataclass(frozen=True)
class PeerStats:
    """The median and median absolute deviation of a group of peers: computed once per group, not per value."""

    count: int
    median: Decimal
    mad: Decimal

    @classmethod
    def of(cls, values: list[Decimal]) -> PeerStats:
        """Return the statistics of the values (median and MAD are 0 for an empty list)."""
        if not values:
            return cls(0, Decimal(0), Decimal(0))
        median = Decimal(statistics.median(values))
        return cls(len(values), median, Decimal(statistics.median([abs(v - median) for v in values])))


def _far_from_peers(unit: str, value: Decimal, peers: PeerStats, factor: int = 1) -> Flag | None | bool:
    """Return a Flag when far from the peers, False when close, None when there are too few peers."""
    if peers.count < MIN_PEERS:
        return None
    median, mad = peers.median, peers.mad
    distance = abs(value - median)
    floor = MIN_DISTANCE.get(unit)
    if floor is None:  # counts: relative to the median's size
        floor = max(abs(median) / 2, MIN_COUNT_DISTANCE)
    if distance < floor * factor:
        return False
    if mad and MODIFIED_Z_FACTOR * distance / mad <= MODIFIED_Z_LIMIT:
        return False
    return Flag(
        "peers",
        f"ver van vergelijkbare eenheden: mediaan {dutch(median.quantize(Decimal('0.1')))} "
        f"over {peers.count} eenheden in hetzelfde jaar",
    )


def _far_from_history(unit: str, value: Decimal, previous: tuple[int, Decimal] | None) -> Flag | None | bool:
    """Return a Flag when the value jumps from the unit's earlier value, False when not, None without history."""
    if previous is None:
        return None
    year, earlier = previous
    if unit == COUNT:
        low, high = sorted((abs(earlier), abs(value)))
        far = high - low >= MIN_COUNT_DISTANCE and (low == 0 or high / low > COUNT_JUMP_FACTOR)
    else:
        far = abs(value - earlier) > JUMP_LIMIT[unit]
    if not far:
        return False
    return Flag("history", f"grote sprong ten opzichte van {year}: toen {dutch(earlier)}")


def plausibility_flags(
    unit: str,
    value: Decimal,
    *,
    peers: PeerStats | list[Decimal],
    previous: tuple[int, Decimal] | None,
    independent: int | None = None,
) -> list[Flag]:
    """Return the reasons a valid value looks implausible, or [] (see the rule above).

    `peers` are the values of the same indicator, year and level (or their PeerStats, to
    compute them once for many values); `previous` is the unit's own nearest earlier (year, value).
    `independent` is how many of those peers were not written together with this value (None:
    all of them). Close peers clear a jump from the unit's history only when at least MIN_PEERS
    of them are independent: a file that gives every team 0,85 for last year's 85 % must not
    vouch for itself (review of 2026-12-02). Far peers flag whoever wrote them.
    """
    if not isinstance(peers, PeerStats):
        peers = PeerStats.of(peers)
    history = _far_from_history(unit, value, previous)
    if history is None:
        peer = _far_from_peers(unit, value, peers, NEW_UNIT_FACTOR)
        return [peer] if peer else []
    if history is False:
        return []
    peer = _far_from_peers(unit, value, peers)
    if peer is False and (independent is None or independent >= MIN_PEERS):
        return []
    return [flag for flag in (peer, history) if flag]


def flags_text(flags: list[Flag]) -> str:
    """Return the flags as one Dutch sentence for messages and the API."""
    return "Onwaarschijnlijke waarde: " + "; ".join(flag.reason for flag in flags) + "."


# --- codes of colleges and teams --------------------------------------------------------------
# A code is part of page addresses (/teams/college/<code>/), file names, Excel sheets and the
# benchmark files, so it holds only characters that are safe in each: letters, digits, '-', '_'
# and '.', starting with a letter or digit (never '.' or '..', which a browser resolves as a path).
# Issue 13: a team '5110/X' broke the college's pages; "=1+2" in a backup became a formula.

CODE_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
CODE_FIRST = CODE_CHARACTERS[:62]  # a letter or a digit
CODE_MAX_LENGTH = {"Teamcode": 40, "Collegecode": 20}  # the model fields' lengths
_CODE_SET, _FIRST_SET = frozenset(CODE_CHARACTERS), frozenset(CODE_FIRST)


def _shown(text: str, limit: int = 60) -> str:
    """Return text for a message: control characters visible, at most `limit` characters."""
    visible = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return visible if len(visible) <= limit else visible[: limit - 1] + "…"


def code_problem(code: str, what: str = "Teamcode") -> str | None:
    """Return why `code` cannot be a college or team code (`what`: "Teamcode" or "Collegecode"), or None."""
    if not code:
        return f"{what} mag niet leeg zijn."
    if not _CODE_SET.issuperset(code):
        return f"{what} '{_shown(code)}' mag alleen letters, cijfers, '-', '_' en '.' bevatten."
    if code[0] not in _FIRST_SET:
        return f"{what} '{_shown(code)}' moet met een letter of cijfer beginnen."
    limit = CODE_MAX_LENGTH[what]
    if len(code) > limit:
        return f"{what} '{_shown(code)}' is te lang: hoogstens {limit} tekens."
    return None


# --- series, sources and small groups (issue 18) ----------------------------------------------
# A value belongs to a series: the institution's own (the only one that is judged) or a
# comparison series the agenda sets it beside ("landelijk is dat 72 %", DUO, a peer institution).
# Every channel (importer, service, admin) reads a series label through series_label, so
# "Landelijk" and "landelijk " are one series everywhere.

OWN_SERIES_NAMES = frozenset({"", "eigen", "own"})  # how a file names the own series
SERIES_MAX_LENGTH = 40  # ContextValue.series
SOURCE_MAX_LENGTH = 200  # Measurement.source, ContextValue.source
NOTE_MAX_LENGTH = 500  # Measurement.note, ContextValue.note
_SERIES_EXTRA = frozenset(" -_.")

# Small-group suppression: a breakdown group of fewer than 20 students says more about those
# students than about the programme (and can identify them); pages show "kleine groep" instead
# of the value and the API returns no value. A value without n is shown to staff only.
SMALL_GROUP_N = 20


def small_group(n: int | None) -> bool:
    """Return whether a value's group is too small to show its value (n known and below SMALL_GROUP_N)."""
    return n is not None and n < SMALL_GROUP_N


def series_label(text: str | None) -> tuple[str, str | None]:
    """Return a series as stored ("" for the own series) and None, or ("", why it is not a valid label).

    Surrounding and repeated spaces go; 'eigen' and 'own' (any case) name the own series; other
    labels keep their spelling, at most SERIES_MAX_LENGTH letters, digits, spaces, '-', '_' or '.'.
    """
    label = " ".join((text or "").split())
    if label.lower() in OWN_SERIES_NAMES:
        return "", None
    if len(label) > SERIES_MAX_LENGTH:
        return "", f"Reeks '{_shown(label)}' is te lang: hoogstens {SERIES_MAX_LENGTH} tekens."
    if not all(ch.isalnum() or ch in _SERIES_EXTRA for ch in label):
        return "", f"Reeks '{_shown(label)}' mag alleen letters, cijfers, spaties, '-', '_' en '.' bevatten."
    return label, None


def series_match(label: str, known) -> str:
    """Return the spelling of an existing series that equals `label` ignoring case, else `label` itself."""
    folded = label.casefold()
    for existing in known:
        if existing.casefold() == folded:
            return existing
    return label


def note_problem(note: str) -> str | None:
    """Return why a note is too long to keep, or None.

    A note is what the user confirmed a flagged value with (domain.md, "Plausibility": "a short
    note, which is kept"), so it is kept whole or refused, never cut to fit.
    """
    if len(note) > NOTE_MAX_LENGTH:
        return (
            f"De toelichting is {len(note)} tekens lang; er passen er ten hoogste {NOTE_MAX_LENGTH}. "
            "Maak haar korter: er is niets opgeslagen."
        )
    return None
