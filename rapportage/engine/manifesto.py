"""The manifesto's checks and the spending account: realised spending against the allocation, in cents.

Pure: integers, Decimals and dicts in, dataclasses out. Sources: the manifesto "Het mbo als
regionale partner" (at most 25 % result-dependent, at least 80 % to the school's own or
regional spearheads, the investment as a share of the lumpsum, principle 8: money not
realised stays available to the mbo sector), the regeling (national themes at least a third)
and agenda ch. 12 ("we laten zien hoe het geld per thema wordt ingezet").

Each check returns its figures and whether it holds; a share whose whole is zero is "n.v.t."
(holds None), never a division by zero. Every total is a sum of the rows shown, so the
totals add up to the cent.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# Manifesto principle 4: at most a quarter of the budget is result-dependent.
RESULT_DEPENDENT_MAX_PCT = Decimal(25)
# Manifesto: at least 80 % of the quality budget goes to the school's own or regional spearheads.
SPEARHEAD_MIN_PCT = 80
# Manifesto: the quality budget as a share of the whole lumpsum; it names 10 %.
INVESTMENT_TARGET_PCT = 10

NOT_APPLICABLE = "n.v.t."
OVERSPENT = "overschreden"
STAYS_AVAILABLE = "blijft beschikbaar voor de mbo-sector"


def national_third_holds(national_pct: Decimal, total_pct: Decimal) -> bool:
    """Return whether the national themes get at least a third of the shares (the regeling, agenda ch. 12)."""
    return 3 * national_pct >= total_pct


def result_dependent_holds(pct: Decimal) -> bool:
    """Return whether the result-dependent part stays within the manifesto's 25 %."""
    return pct <= RESULT_DEPENDENT_MAX_PCT


def pct_text(part: int | Decimal, whole: int | Decimal) -> str:
    """Return part / whole as a Dutch percentage with two decimals ("79,99 %"), or "n.v.t." when whole is 0."""
    if not whole:
        return NOT_APPLICABLE
    share = Fraction(Decimal(part)) * 100 / Fraction(Decimal(whole))
    rounded = (Decimal(share.numerator) / Decimal(share.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{rounded:f}".replace(".", ",") + " %"


@dataclass(frozen=True)
class Check:
    """One manifesto check: its name, the figure, what it is measured against and whether it holds."""

    key: str
    label: str
    figure: str  # "20 %" or "n.v.t."
    target: str  # "hoogstens 25 %"
    holds: bool | None  # None: nothing to measure (n.v.t.)
    detail: str  # the figures behind the share, in Dutch


def result_dependent_check(pct: Decimal | None) -> Check:
    """Return the check that at most 25 % of the year's budget is result-dependent."""
    if pct is None:
        return Check("result_dependent", "Resultaatafhankelijk deel", NOT_APPLICABLE, "hoogstens 25 %", None, "")
    return Check(
        "result_dependent",
        "Resultaatafhankelijk deel",
        pct_text(pct, 100),
        "hoogstens 25 %",
        result_dependent_holds(pct),
        "het deel van het kwaliteitsbudget dat van de resultaten afhangt",
    )


def national_check(shares: Iterable[tuple[str, Decimal, bool]]) -> Check:
    """Return the check that the national themes get at least a third of the budget shares in force."""
    shares = list(shares)
    total = sum((share for _, share, _ in shares), Decimal(0))
    national = sum((share for _, share, is_national in shares if is_national), Decimal(0))
    codes = ", ".join(code for code, _, is_national in shares if is_national) or "geen"
    return Check(
        "national",
        "Landelijke thema's",
        pct_text(national, total),
        "minstens een derde",
        national_third_holds(national, total) if total else None,
        f"landelijke thema's ({codes}) samen {pct_text(national, 100)} van {pct_text(total, 100)}",
    )


def spearhead_check(promises: Iterable[tuple[int, bool]]) -> Check:
    """Return the check that at least 80 % of the promises' budget goes to own or regional spearheads.

    `promises` holds (budget in cents, counts as a regional spearhead). 80 % exactly holds.
    """
    promises = list(promises)
    total = sum(cents for cents, _ in promises)
    spearhead = sum(cents for cents, counts in promises if counts)
    return Check(
        "spearheads",
        "Eigen en regionale speerpunten",
        pct_text(spearhead, total),
        f"minstens {SPEARHEAD_MIN_PCT} %",
        100 * spearhead >= SPEARHEAD_MIN_PCT * total if total else None,
        f"{_euro(spearhead)} van {_euro(total)} aan beloftes",
    )


def investment_check(quality_cents: int | None, lumpsum_cents: int | None) -> Check:
    """Return the quality budget as a share of the whole lumpsum, against the manifesto's 10 %."""
    if not lumpsum_cents or quality_cents is None:
        detail = "de totale lumpsum is nog niet ingevoerd" if lumpsum_cents is None else "de totale lumpsum is nul"
        return Check("investment", "Investering uit de lumpsum", NOT_APPLICABLE, "doel 10 %", None, detail)
    return Check(
        "investment",
        "Investering uit de lumpsum",
        pct_text(quality_cents, lumpsum_cents),
        f"doel {INVESTMENT_TARGET_PCT} %",
        100 * quality_cents >= INVESTMENT_TARGET_PCT * lumpsum_cents,
        f"kwaliteitsbudget {_euro(quality_cents)} van een lumpsum van {_euro(lumpsum_cents)}",
    )


@dataclass
class SpendingRow:
    """One theme x college (None: ROC-wide) in one year: allocated, planned and realised cents."""

    theme: str
    college: str | None
    fixed_cents: int = 0
    released_cents: int = 0
    from_reserve_cents: int = 0
    planned_cents: int = 0
    realised_cents: int = 0

    @property
    def allocated_cents(self) -> int:
        """Return what the college may spend this year: fixed, released and released from reserve."""
        return self.fixed_cents + self.released_cents + self.from_reserve_cents

    @property
    def difference_cents(self) -> int:
        """Return allocated minus realised: negative means overspent."""
        return self.allocated_cents - self.realised_cents

    @property
    def overspent(self) -> bool:
        """Return whether more was spent than allocated."""
        return self.realised_cents > self.allocated_cents

    @property
    def status(self) -> str:
        """Return the row's word: "overschreden" or ""."""
        return OVERSPENT if self.overspent else ""


AMOUNT_KEYS = ("fixed_cents", "released_cents", "from_reserve_cents", "planned_cents", "realised_cents")


def _sum_rows(theme: str, rows: list[SpendingRow]) -> SpendingRow:
    """Return a row holding the sums of `rows` (a subtotal adds exactly the rows shown)."""
    total = SpendingRow(theme, None)
    for key in AMOUNT_KEYS:
        setattr(total, key, sum(getattr(row, key) for row in rows))
    return total


@dataclass
class ThemeSpending:
    """One theme's rows (ROC-wide first, then per college) and their subtotal."""

    theme: str
    rows: list[SpendingRow] = field(default_factory=list)

    @property
    def total(self) -> SpendingRow:
        """Return the theme's subtotal."""
        return _sum_rows(self.theme, self.rows)


@dataclass
class MeasureSpending:
    """A measure's planned budget against what was realised this year and over the period so far."""

    measure_id: int
    title: str
    theme: str
    college: str | None
    planned_cents: int
    realised_cents: int
    realised_to_date_cents: int

    @property
    def overspent(self) -> bool:
        """Return whether the period's realised spending so far exceeds the planned budget."""
        return self.realised_to_date_cents > self.planned_cents


@dataclass
class SpendingSummary:
    """The year's spending account per theme and college, with its total."""

    year: int
    themes: list[ThemeSpending]
    measures: list[MeasureSpending] = field(default_factory=list)

    @property
    def total(self) -> SpendingRow:
        """Return the year's total: the sum of every row shown."""
        return _sum_rows("", [row for theme in self.themes for row in theme.rows])


def spending_summary(
    year: int,
    themes: list[str],
    budget: dict | None,
    measures: Iterable[dict],
    spendings: Iterable[dict],
) -> SpendingSummary:
    """Return the spending account of `year`.

    `budget` is the stored budget body of the year (None: not computed); per theme the ROC-wide
    row's fixed allocation is the top-slice for common facilities (central_cents) and each
    college's is its fixed part, released result-dependent part and release from reserve.
    `measures`: {"id", "title", "theme", "college", "planned_cents"}; `spendings`: {"year",
    "theme", "college", "measure" (id or None), "cents"} of this and earlier years.
    """
    rows: dict[tuple[str, str | None], SpendingRow] = {}

    def row(theme: str, college: str | None) -> SpendingRow:
        return rows.setdefault((theme, college), SpendingRow(theme, college))

    for theme in (budget or {}).get("themes", []):
        if theme["central_cents"]:
            row(theme["theme"], None).fixed_cents += theme["central_cents"]
        for part in theme["colleges"]:
            target = row(theme["theme"], part["college"])
            target.fixed_cents += part["fixed_cents"]
            target.released_cents += part["released_cents"]
            target.from_reserve_cents += part["released_from_reserve_cents"]
    measures = list(measures)
    for measure in measures:
        row(measure["theme"], measure["college"]).planned_cents += measure["planned_cents"]
    realised: dict[int, int] = {}
    to_date: dict[int, int] = {}
    for spending in spendings:
        if spending["year"] == year:
            row(spending["theme"], spending["college"]).realised_cents += spending["cents"]
        if spending["measure"] is not None and spending["year"] <= year:
            to_date[spending["measure"]] = to_date.get(spending["measure"], 0) + spending["cents"]
            if spending["year"] == year:
                realised[spending["measure"]] = realised.get(spending["measure"], 0) + spending["cents"]

    order = {code: i for i, code in enumerate(themes)}
    by_theme = {code: ThemeSpending(code) for code in themes}
    for (theme, _), item in sorted(rows.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0][0])):
        by_theme.setdefault(theme, ThemeSpending(theme)).rows.append(item)
    for item in by_theme.values():
        # ROC-wide first, then the colleges by code.
        item.rows.sort(key=lambda r: (r.college is not None, r.college or ""))
    return SpendingSummary(
        year,
        list(by_theme.values()),
        [
            MeasureSpending(
                m["id"],
                m["title"],
                m["theme"],
                m["college"],
                m["planned_cents"],
                realised.get(m["id"], 0),
                to_date.get(m["id"], 0),
            )
            for m in measures
        ],
    )


@dataclass
class PeriodEnd:
    """After the period's last year: per theme what was allocated and not realised (manifesto principle 8)."""

    rows: list[
        dict
    ]  # {"theme", "allocated_cents", "realised_cents", "unspent_cents", "reserve_cents", "available_cents"}

    @property
    def available_cents(self) -> int:
        """Return the total that stays available to the mbo sector."""
        return sum(row["available_cents"] for row in self.rows)


def period_end(summaries: Iterable[SpendingSummary], not_realised_reserve: dict[str, int]) -> PeriodEnd:
    """Return what stays available to the mbo sector after the period: unspent allocation plus the unreleased reserve.

    Per theme and college, allocation not spent over the whole period counts (an overspent year
    uses up another year's rest: the account is over the period, agenda ch. 12); overspending in
    total counts as zero, never as a negative amount. `not_realised_reserve` is the final year's
    reserve still open per theme (domain.md, the reserve, step 4).
    """
    per_unit: dict[tuple[str, str | None], list[int]] = {}
    themes: list[str] = []
    for summary in summaries:
        for theme in summary.themes:
            if theme.theme not in themes:
                themes.append(theme.theme)
            for row in theme.rows:
                sums = per_unit.setdefault((row.theme, row.college), [0, 0])
                sums[0] += row.allocated_cents
                sums[1] += row.realised_cents
    for code in not_realised_reserve:
        if code not in themes:
            themes.append(code)
    rows = []
    for code in themes:
        units = [sums for (theme, _), sums in per_unit.items() if theme == code]
        unspent = sum(max(allocated - realised, 0) for allocated, realised in units)
        reserve = not_realised_reserve.get(code, 0)
        rows.append(
            {
                "theme": code,
                "allocated_cents": sum(allocated for allocated, _ in units),
                "realised_cents": sum(realised for _, realised in units),
                "unspent_cents": unspent,
                "reserve_cents": reserve,
                "available_cents": unspent + reserve,
            }
        )
    return PeriodEnd(rows)


def _euro(cents: int) -> str:
    """Return cents as Dutch euros with two decimals ("€ 1.234,56")."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}€ {whole:,}".replace(",", ".") + f",{rest:02d}"
