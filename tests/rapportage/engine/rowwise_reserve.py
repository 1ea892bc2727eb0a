"""A plain row-by-row reference of domain.md's reserve (manifesto principle 8), to check the ledger.

Written from domain.md ("Budget, precisely", "The reserve", "Fine print") alone, with lists,
dicts and loops: slow and obvious on purpose. Inputs are the STATUS bodies (contracts.md
section 4, with section 5's `not_applicable`), each college's theme amount per budget year
(the split over themes and colleges is checked by its own add-up tests) and the budget
years' result-dependent percentages. The output holds, per (budget year, theme, college),
the same fields as the budget body's college entry.

Conventions where domain.md is silent, chosen here and documented so the engine can be held to them:
- An indicator applies to a college unless the college's entry in the STATUS has basis
  `not_applicable`; a college missing from the list (no entry at all) is in K and has not met.
- A portion of 0 cents (R < K) is neither reserved in the ledger nor released: it moves no money.
- Releases and open portions are listed by (year reserved, indicator code).
- Budget years after the period end take no part in the ledger (the loader refuses them anyway).
- A college that has open reserve or a release in a budget year where it has no amount (it is
  not among the year's colleges) still gets an entry, with amount 0, so every cent is shown.
"""

from fractions import Fraction


def _verdict_rows(statuses: list[dict], year: int) -> list[dict]:
    """Return the STATUS bodies of `year` that bear a verdict and are judged at college level."""
    rows = []
    for status in statuses:
        if status["year"] != year:
            continue
        if status["attained"] is None:
            continue  # monitor or no data: no verdict
        if status["institution_only"]:
            continue  # decided by the institution alone
        rows.append(status)
    return rows


def _entry(status: dict, college: str) -> dict | None:
    """Return the college's entry in a STATUS body, or None."""
    for entry in status["colleges"]:
        if entry["college"] == college:
            return entry
    return None


def _applies(status: dict, college: str) -> bool:
    """Return whether the indicator applies to the college in this STATUS."""
    entry = _entry(status, college)
    return entry is None or entry.get("basis") != "not_applicable"


def _met(status: dict, college: str) -> bool:
    """Return whether the college met the indicator in this STATUS (college `met` true)."""
    entry = _entry(status, college)
    return entry is not None and entry["met"] is True


def _blank() -> dict:
    """Return the fields of a college entry before anything is added."""
    return {
        "amount_cents": 0,
        "result_dependent_cents": 0,
        "released_cents": 0,
        "reserved_cents": 0,
        "indicators_met": 0,
        "indicators_judged": 0,
        "portions": [],
        "released_from_reserve_cents": 0,
        "reserve_releases": [],
        "reserve_open_cents": 0,
        "reserve_open": [],
        "not_realised_cents": None,
        "not_realised": [],
    }


# The fields of a budget body's college entry that the reference computes.
FIELDS = tuple(_blank())


def reserve(
    *,
    statuses: list[dict],
    amounts: dict[tuple[int, str, str], int],
    result_dependent_pct: dict[int, object],
    period_end: int,
) -> dict[tuple[int, str, str], dict]:
    """Return per (year, theme, college) the portions, the release and the reserve ledger.

    `amounts[(year, theme, college)]` is the college's theme amount in a budget year;
    `result_dependent_pct[year]` the year's result-dependent percentage (a budget row).
    """
    years = []
    for year in sorted(result_dependent_pct):
        if year <= period_end:
            years.append(year)
    # The open portions: one dict per reserved portion, in the order they were reserved.
    open_portions = []
    out = {}
    for year in years:
        rows = _verdict_rows(statuses, year)

        # Step 3: every portion reserved in an earlier budget year, released now if the college met it now.
        still_open = []
        for portion in open_portions:
            released = False
            for status in rows:
                if status["indicator"] == portion["indicator"] and _met(status, portion["college"]):
                    released = True
            if released:
                key = (year, portion["theme"], portion["college"])
                entry = out.setdefault(key, _blank())
                entry["reserve_releases"].append(
                    {"from_year": portion["from_year"], "indicator": portion["indicator"], "cents": portion["cents"]}
                )
                entry["released_from_reserve_cents"] += portion["cents"]
            else:
                still_open.append(portion)
        open_portions = still_open

        # Steps 1 and 2: this year's portions, released when met, else reserved.
        for (amount_year, theme, college), amount in sorted(amounts.items()):
            if amount_year != year:
                continue
            entry = out.setdefault((year, theme, college), _blank())
            entry["amount_cents"] = amount
            codes = []
            for status in rows:
                if status["theme"] == theme and _applies(status, college):
                    codes.append(status["indicator"])
            codes.sort()  # code order: plain string order ("I10" before "I2")
            k = len(codes)
            if k == 0:
                dependent = 0
            else:
                exact = Fraction(amount) * Fraction(result_dependent_pct[year]) / 100
                dependent = exact.numerator // exact.denominator
            entry["result_dependent_cents"] = dependent
            entry["indicators_judged"] = k
            for position, code in enumerate(codes):
                cents = dependent // k
                if position < dependent % k:
                    cents += 1
                status = [s for s in rows if s["indicator"] == code][0]
                met = _met(status, college)
                entry["portions"].append({"indicator": code, "cents": cents, "met": met})
                if met:
                    entry["released_cents"] += cents
                    entry["indicators_met"] += 1
                else:
                    entry["reserved_cents"] += cents
                    if cents > 0:
                        open_portions.append(
                            {"college": college, "theme": theme, "indicator": code, "from_year": year, "cents": cents}
                        )

        # What stays open after this year, per college and theme.
        for portion in open_portions:
            key = (year, portion["theme"], portion["college"])
            entry = out.setdefault(key, _blank())
            entry["reserve_open"].append(
                {"from_year": portion["from_year"], "indicator": portion["indicator"], "cents": portion["cents"]}
            )
            entry["reserve_open_cents"] += portion["cents"]

    # Step 4: after the last budget year of the period, what is still open is not realised.
    if years:
        last = years[-1]
        for (year, _theme, _college), entry in out.items():
            if year == last:
                entry["not_realised"] = list(entry["reserve_open"])
                entry["not_realised_cents"] = entry["reserve_open_cents"]

    for entry in out.values():
        for name in ("reserve_releases", "reserve_open", "not_realised"):
            entry[name].sort(key=lambda item: (item["from_year"], item["indicator"]))
    return out
