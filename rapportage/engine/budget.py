"""The budget split of agenda ch. 12 and the manifesto, in integer euro cents.

Pure: plain integers and Decimals in, dataclasses out. Every split is a largest-remainder
share, so the parts always add up to the whole (domain.md, "Budget, precisely").
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class ThemeShare:
    """A theme's code, its share of the total in percent, and whether it is a national theme."""

    code: str
    share_pct: Decimal
    national: bool = False


@dataclass
class CollegeSplit:
    """One college's part of one theme."""

    college: str
    amount_cents: int
    fixed_cents: int
    result_dependent_cents: int
    released_cents: int
    reserved_cents: int
    met: int = 0
    verdicts: int = 0


@dataclass
class ThemeSplit:
    """One theme's amount, its top-slice and the colleges' parts."""

    theme: str
    share_pct: Decimal
    amount_cents: int
    central_cents: int
    colleges: list[CollegeSplit] = field(default_factory=list)


@dataclass
class BudgetSplit:
    """The whole year's split."""

    year: int
    total_cents: int
    themes: list[ThemeSplit]


def largest_remainder(total: int, weights: dict[str, Fraction | Decimal | int]) -> dict[str, int]:
    """Return `total` split over the keys pro rata to `weights`, adding up exactly.

    Floors first, then one cent each to the largest remainders, ties to the smaller code
    (domain.md). All-zero weights give equal shares (the lumpsum system).
    """
    if not weights:
        return {}
    if total < 0:
        raise ValueError("total must be non-negative")
    exact = {key: Fraction(weight) for key, weight in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights must be non-negative")
    denominator = sum(exact.values())
    if denominator == 0:
        exact = {key: Fraction(1) for key in weights}
        denominator = Fraction(len(weights))
    quotas = {key: total * weight / denominator for key, weight in exact.items()}
    shares = {key: quota.numerator // quota.denominator for key, quota in quotas.items()}
    left = total - sum(shares.values())
    order = sorted(quotas, key=lambda key: (-(quotas[key] - shares[key]), key))
    for key in order[:left]:
        shares[key] += 1
    return shares


def students_for_year(counts: dict[int, int], year: int) -> int:
    """Return the student number of `year`, else of the latest earlier year, else 0 (domain.md)."""
    earlier = [y for y in counts if y <= year]
    return counts[max(earlier)] if earlier else 0


def budget_verdicts(statuses: Iterable[dict], year: int) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Return (K per theme, met per (theme, college)) of budget year `year` from the STATUS bodies.

    Domain.md, "Budget, precisely": K counts the theme's indicators measured at college level
    that bear a verdict in Y; a college's count is how many of those it met in Y (budget year Y
    is judged on the verdicts of Y).
    """
    judged, met = Counter(), Counter()
    for status in statuses:
        if status["year"] != year or status["attained"] is None or status["institution_only"]:
            continue
        judged[status["theme"]] += 1
        for college in status["colleges"]:
            if college["met"]:
                met[(status["theme"], college["college"])] += 1
    return dict(judged), dict(met)


def split_budget(
    *,
    year: int,
    total_cents: int,
    result_dependent_pct: Decimal,
    central_pct: Decimal,
    themes: list[ThemeShare],
    colleges: list[str],
    students: dict[str, dict[int, int]],
    verdicts: dict[str, int],
    met: dict[tuple[str, str], int],
) -> BudgetSplit:
    """Return the split of one year's quality budget over themes and colleges.

    `verdicts[theme]` is K, the theme's verdict-bearing college-level indicators in `year`;
    `met[(theme, college)]` how many of those the college met.
    """
    theme_amounts = largest_remainder(total_cents, {t.code: t.share_pct for t in themes})
    weights = {college: students_for_year(students.get(college, {}), year) for college in colleges}
    result = []
    for theme in themes:
        amount = theme_amounts[theme.code]
        # ch. 12: a limited top-slice for common facilities, the rest pro rata to the colleges.
        central = amount * Fraction(central_pct) // 100
        college_amounts = largest_remainder(amount - central, weights)
        k = verdicts.get(theme.code, 0)
        parts = []
        for college in sorted(college_amounts):
            c_amount = college_amounts[college]
            # Manifesto principle 4: at most 25 % result-dependent; none when nothing is judged.
            dependent = c_amount * Fraction(result_dependent_pct) // 100 if k else 0
            met_count = met.get((theme.code, college), 0) if k else 0
            # Manifesto principle 8: what is not yet earned is reserved, not cut.
            released = dependent * met_count // k if k else 0
            parts.append(
                CollegeSplit(
                    college=college,
                    amount_cents=c_amount,
                    fixed_cents=c_amount - dependent,
                    result_dependent_cents=dependent,
                    released_cents=released,
                    reserved_cents=dependent - released,
                    met=met_count,
                    verdicts=k,
                )
            )
        result.append(
            ThemeSplit(
                theme=theme.code, share_pct=theme.share_pct, amount_cents=amount, central_cents=central, colleges=parts
            )
        )
    return BudgetSplit(year=year, total_cents=total_cents, themes=result)


def budget_warnings(themes: list[ThemeShare], result_dependent_pct: Decimal, central_pct: Decimal) -> list[str]:
    """Return, in Dutch, every way the agenda breaks its own budget rules (ch. 12, manifesto)."""
    warnings = []
    total = sum((t.share_pct for t in themes), Decimal(0))
    if total != 100:
        warnings.append(f"De aandelen van de thema's tellen op tot {_pct(total)}, niet tot 100 %.")
    national = sum((t.share_pct for t in themes if t.national), Decimal(0))
    if themes and 3 * national < total:
        warnings.append(f"De landelijke thema's krijgen samen {_pct(national)}; de regeling vraagt minstens een derde.")
    if result_dependent_pct > 25:
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
