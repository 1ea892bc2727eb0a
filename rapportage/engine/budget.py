"""The budget split of agenda ch. 12 and the manifesto, in integer euro cents.

Pure: plain integers and Decimals in, dataclasses out. Every split is a largest-remainder
share, so the parts always add up to the whole (domain.md, "Budget, precisely").
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

# The manifesto's and the regeling's rules have one home, shared with the manifesto page (issue 14).
from rapportage.engine.manifesto import national_third_holds, result_dependent_holds


@dataclass(frozen=True)
class ThemeShare:
    """A theme's code, its share of the total in percent, and whether it is a national theme."""

    code: str
    share_pct: Decimal
    national: bool = False


@dataclass(frozen=True)
class IndicatorVerdict:
    """A college-level indicator with a verdict in a budget year: who met it, to whom it does not apply."""

    indicator: str
    theme: str
    met: frozenset[str] = frozenset()
    not_applicable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Portion:
    """A college's fixed share of its result-dependent money for one indicator in one year."""

    indicator: str
    cents: int
    met: bool


@dataclass(frozen=True)
class ReserveEntry:
    """Cents reserved for one indicator in budget year `from_year`: released later, open, or not realised."""

    from_year: int
    indicator: str
    cents: int


@dataclass
class CollegeSplit:
    """One college's part of one theme, with its reserve ledger (domain.md, "The reserve")."""

    college: str
    amount_cents: int
    fixed_cents: int
    result_dependent_cents: int
    released_cents: int
    reserved_cents: int
    met: int = 0
    verdicts: int = 0
    portions: list[Portion] = field(default_factory=list)
    reserve_releases: list[ReserveEntry] = field(default_factory=list)
    reserve_open: list[ReserveEntry] = field(default_factory=list)
    # Only in the period's last budget year: the reserve still open is not realised (step 4).
    not_realised: list[ReserveEntry] | None = None

    @property
    def released_from_reserve_cents(self) -> int:
        """Return the earlier years' reserved cents released in this year."""
        return sum(entry.cents for entry in self.reserve_releases)

    @property
    def reserve_open_cents(self) -> int:
        """Return the reserved cents of this and earlier years still open after this year."""
        return sum(entry.cents for entry in self.reserve_open)

    @property
    def not_realised_cents(self) -> int | None:
        """Return the cents not realised by the end of the period, None before the last budget year."""
        return None if self.not_realised is None else sum(entry.cents for entry in self.not_realised)


@dataclass
class ThemeSplit:
    """One theme's amount, its top-slice and the colleges' parts."""

    theme: str
    share_pct: Decimal
    amount_cents: int
    central_cents: int
    colleges: list[CollegeSplit] = field(default_factory=list)

    @property
    def released_from_reserve_cents(self) -> int:
        """Return the colleges' releases from reserve in this year."""
        return sum(part.released_from_reserve_cents for part in self.colleges)

    @property
    def reserve_open_cents(self) -> int:
        """Return the colleges' reserve still open after this year."""
        return sum(part.reserve_open_cents for part in self.colleges)


@dataclass
class BudgetSplit:
    """The whole year's split."""

    year: int
    total_cents: int
    themes: list[ThemeSplit]
    # The period's last budget year: what is still open after it is not realised.
    final: bool = False

    @property
    def released_from_reserve_cents(self) -> int:
        """Return the releases from reserve in this year."""
        return sum(theme.released_from_reserve_cents for theme in self.themes)

    @property
    def reserve_open_cents(self) -> int:
        """Return the reserve still open after this year."""
        return sum(theme.reserve_open_cents for theme in self.themes)


def largest_remainder(total: int, weights: dict[str, Fraction | Decimal | int]) -> dict[str, int]:
    """Return `total` split over the keys pro rata to `weights`, adding up exactly.

    Floors first, then one cent each to the largest remainders, ties to the smaller code
    (domain.md). All-zero weights give equal shares (the lumpsum system).
    """
    if not weights:
        return {}
    if total < 0:
        raise ValueError("total must be non-negative")
    # In integers: weights scaled by their common denominator give the same quotas, and
    # divmod gives each quota's floor and its remainder over the one common denominator,
    # so the remainders order as the quotas' fractions do (Fractions per cent were a third of
    # the budget split, docs/benchmarks.md section 7).
    if all(type(weight) is int for weight in weights.values()):
        scaled = dict(weights)
    else:
        exact = {key: Fraction(weight) for key, weight in weights.items()}
        common = math.lcm(*(weight.denominator for weight in exact.values()))
        scaled = {key: weight.numerator * (common // weight.denominator) for key, weight in exact.items()}
    if any(weight < 0 for weight in scaled.values()):
        raise ValueError("weights must be non-negative")
    denominator = sum(scaled.values())
    if denominator == 0:
        scaled = dict.fromkeys(weights, 1)
        denominator = len(weights)
    shares, remainders = {}, {}
    for key, weight in scaled.items():
        shares[key], remainders[key] = divmod(total * weight, denominator)
    left = total - sum(shares.values())
    for key in sorted(scaled, key=lambda key: (-remainders[key], key))[:left]:
        shares[key] += 1
    return shares


def students_for_year(counts: dict[int, int], year: int) -> int:
    """Return the student number of `year`, else of the latest earlier year, else 0 (domain.md)."""
    earlier = [y for y in counts if y <= year]
    return counts[max(earlier)] if earlier else 0


def budget_verdicts(statuses: Iterable[dict], year: int) -> list[IndicatorVerdict]:
    """Return the verdict-bearing college-level indicators of budget year `year`, in code order.

    Domain.md, "Budget, precisely" and "Fine print": an indicator counts when it bears a verdict
    in Y (not monitor, not no data) and is measured at college level; it applies to a college
    unless the college is listed with basis `not_applicable`; budget year Y is judged on Y.
    """
    verdicts = []
    for status in statuses:
        if status["year"] != year or status["attained"] is None or status["institution_only"]:
            continue
        colleges = status["colleges"]
        verdicts.append(
            IndicatorVerdict(
                indicator=status["indicator"],
                theme=status["theme"],
                met=frozenset(c["college"] for c in colleges if c["met"] is True),
                not_applicable=frozenset(c["college"] for c in colleges if c.get("basis") == "not_applicable"),
            )
        )
    # "Code order" is plain string order of the codes ("I10" before "I2").
    return sorted(verdicts, key=lambda verdict: verdict.indicator)


def indicator_portions(dependent: int, k: int) -> list[int]:
    """Return `dependent` cents in k portions: each `dependent // k`, the first `dependent % k` one cent more."""
    return [dependent // k + (1 if position < dependent % k else 0) for position in range(k)]


def split_budget(
    *,
    year: int,
    total_cents: int,
    result_dependent_pct: Decimal,
    central_pct: Decimal,
    themes: list[ThemeShare],
    colleges: list[str],
    students: dict[str, dict[int, int]],
    verdicts: list[IndicatorVerdict],
) -> BudgetSplit:
    """Return the split of one year's quality budget over themes and colleges.

    `verdicts` are the year's verdict-bearing college-level indicators (budget_verdicts); a
    college's K is those of the theme that apply to it. The reserve ledger across the years
    is added by `reserve_ledger`.
    """
    theme_amounts = largest_remainder(total_cents, {t.code: t.share_pct for t in themes})
    weights = {college: students_for_year(students.get(college, {}), year) for college in colleges}
    by_theme: dict[str, list[IndicatorVerdict]] = {}
    for verdict in sorted(verdicts, key=lambda v: v.indicator):
        by_theme.setdefault(verdict.theme, []).append(verdict)
    result = []
    central_share, dependent_share = Fraction(central_pct), Fraction(result_dependent_pct)  # exact, made once
    for theme in themes:
        amount = theme_amounts[theme.code]
        # ch. 12: a limited top-slice for common facilities, the rest pro rata to the colleges;
        # with no active college all of it stays central, so the sums still add up (domain.md).
        central = amount * central_share // 100 if colleges else amount
        college_amounts = largest_remainder(amount - central, weights)
        parts = []
        for college in sorted(college_amounts):
            c_amount = college_amounts[college]
            judged = [v for v in by_theme.get(theme.code, []) if college not in v.not_applicable]
            k = len(judged)
            # Manifesto principle 4: at most 25 % result-dependent; none when nothing is judged.
            dependent = c_amount * dependent_share // 100 if k else 0
            # Manifesto principle 8: fixed portions per indicator; what is not yet earned is reserved, not cut.
            portions = [
                Portion(verdict.indicator, cents, college in verdict.met)
                for verdict, cents in zip(judged, indicator_portions(dependent, k) if k else [], strict=True)
            ]
            released = sum(p.cents for p in portions if p.met)
            parts.append(
                CollegeSplit(
                    college=college,
                    amount_cents=c_amount,
                    fixed_cents=c_amount - dependent,
                    result_dependent_cents=dependent,
                    released_cents=released,
                    reserved_cents=dependent - released,
                    met=sum(1 for p in portions if p.met),
                    verdicts=k,
                    portions=portions,
                )
            )
        result.append(
            ThemeSplit(
                theme=theme.code, share_pct=theme.share_pct, amount_cents=amount, central_cents=central, colleges=parts
            )
        )
    return BudgetSplit(year=year, total_cents=total_cents, themes=result)


def reserve_ledger(
    splits: list[BudgetSplit], verdicts: dict[int, list[IndicatorVerdict]], period_end: int
) -> list[BudgetSplit]:
    """Return the years' splits, in year order, with each college's reserve ledger filled in.

    Domain.md, "The reserve": a portion reserved in budget year Y0 is released in the first
    later budget year Y1 <= `period_end` in which the college met that indicator
    (`verdicts[Y1]`); a year without a verdict for it leaves it open; after the period's last
    budget year what is still open is not realised. A portion of 0 cents moves no money and
    is not kept. A college with open reserve or a release in a year in which it has no part
    (not among that year's colleges) is added with amount 0, so every cent stays in view.
    The splits given are not changed.
    """
    ordered = sorted(splits, key=lambda split: split.year)
    ledger_years = [split.year for split in ordered if split.year <= period_end]
    last = ledger_years[-1] if ledger_years else None
    open_entries: dict[tuple[str, str], list[ReserveEntry]] = {}  # (theme, college) -> open, in reserve order
    result = []
    for split in ordered:
        themes = [replace(theme, colleges=[replace(part) for part in theme.colleges]) for theme in split.themes]
        if split.year not in ledger_years:
            result.append(replace(split, themes=themes))
            continue
        met = {(college, verdict.indicator) for verdict in verdicts.get(split.year, []) for college in verdict.met}
        releases: dict[tuple[str, str], list[ReserveEntry]] = {}
        for (theme, college), entries in open_entries.items():
            for entry in entries:
                if (college, entry.indicator) in met:
                    releases.setdefault((theme, college), []).append(entry)
            open_entries[(theme, college)] = [e for e in entries if (college, e.indicator) not in met]
        for theme in themes:
            for part in theme.colleges:
                open_entries.setdefault((theme.theme, part.college), []).extend(
                    ReserveEntry(split.year, p.indicator, p.cents) for p in part.portions if not p.met and p.cents
                )
        parts = _ledger_rows(themes, set(releases) | {key for key, entries in open_entries.items() if entries})
        for key, part in parts.items():
            part.reserve_releases = sorted(releases.get(key, []), key=_entry_order)
            part.reserve_open = sorted(open_entries.get(key, []), key=_entry_order)
            part.not_realised = list(part.reserve_open) if split.year == last else None
        result.append(replace(split, themes=themes, final=split.year == last))
    return result


def _entry_order(entry: ReserveEntry) -> tuple[int, str]:
    """Return the listing order of ledger entries: year reserved, then indicator code."""
    return entry.from_year, entry.indicator


def _ledger_rows(themes: list[ThemeSplit], needed: set[tuple[str, str]]) -> dict[tuple[str, str], CollegeSplit]:
    """Return every college part by (theme, college), adding a part of amount 0 where `needed` lacks one."""
    by_code = {theme.theme: theme for theme in themes}
    parts = {(theme.theme, part.college): part for theme in themes for part in theme.colleges}
    for theme_code, college in sorted(needed - set(parts)):
        theme = by_code.get(theme_code)
        if theme is None:
            theme = by_code[theme_code] = ThemeSplit(theme_code, Decimal(0), 0, 0)
            themes.append(theme)
        part = CollegeSplit(college, 0, 0, 0, 0, 0)
        theme.colleges.append(part)
        theme.colleges.sort(key=lambda p: p.college)
        parts[(theme_code, college)] = part
    return parts


def budget_warnings(themes: list[ThemeShare], result_dependent_pct: Decimal, central_pct: Decimal) -> list[str]:
    """Return, in Dutch, every way the agenda breaks its own budget rules (ch. 12, manifesto)."""
    warnings = []
    total = sum((t.share_pct for t in themes), Decimal(0))
    if total != 100:
        warnings.append(f"De aandelen van de thema's tellen op tot {_pct(total)}, niet tot 100 %.")
    national = sum((t.share_pct for t in themes if t.national), Decimal(0))
    if themes and not national_third_holds(national, total):
        warnings.append(f"De landelijke thema's krijgen samen {_pct(national)}; de regeling vraagt minstens een derde.")
    if not result_dependent_holds(result_dependent_pct):
        warnings.append(
            f"Het resultaatafhankelijke deel is {_pct(result_dependent_pct)}; het manifest staat hoogstens 25 % toe."
        )
    if central_pct > 25:
        warnings.append(
            f"De afroming voor gemeenschappelijke voorzieningen is {_pct(central_pct)}; de agenda spreekt van een "
            "beperkt deel."
        )
    return warnings


def _pct(value: Decimal) -> str:
    """Return a percentage in Dutch notation."""
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text} %"
