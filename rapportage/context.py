"""Reads of the values beside the judged one (issue 18): comparison series, breakdowns and sources.

ContextValue rows (indicatoren.models) never reach the engine, a verdict or a euro; these frames
feed only the indicator page, its charts and the API. A breakdown group below the small-group
threshold (kern.rules.small_group) leaves this module without its value: pages show
"kleine groep" and the figures never carry the number (not even in a hover text).
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from agenda.choices import Level
from agenda.models import Indicator
from indicatoren.models import OWN_SERIES, ContextValue, Measurement
from kern.rules import small_group

COMPARISON_COLUMNS = ["series", "level", "college", "year", "value", "n", "source"]
BREAKDOWN_COLUMNS = ["series", "dimension", "group", "level", "college", "year", "value", "n", "source", "small"]


def series_label(series: str) -> str:
    """Return a series as a heading: the first letter raised ("landelijk" -> "Landelijk", "DUO" stays)."""
    return series[:1].upper() + series[1:] if series else "Eigen"


def context_rows(indicator: Indicator) -> list[dict]:
    """Return every context row of the indicator as plain dicts (college as its code), in one query."""
    return list(
        ContextValue.objects.filter(indicator=indicator)
        .order_by("series", "dimension", "group", "year", "level", "college__code")
        .values("series", "dimension", "group", "level", "college__code", "year", "value", "n", "source")
    )


def comparison_frame(indicator: Indicator, rows: list[dict] | None = None) -> pd.DataFrame:
    """Return the comparison series of `indicator` (totals, no group) at institution and college level.

    Columns: series (as stored), level, college (code, None at institution level), year, value
    (Decimal), n, source. Series that differ only in case are one series (the importer stores the
    first spelling), so they are compared as stored.
    """
    rows = [
        {
            "series": row["series"],
            "level": row["level"],
            "college": row["college__code"],
            "year": row["year"],
            "value": row["value"],
            "n": row["n"],
            "source": row["source"],
        }
        for row in (context_rows(indicator) if rows is None else rows)
        if not row["group"]
    ]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def breakdown_frame(indicator: Indicator, rows: list[dict] | None = None) -> pd.DataFrame:
    """Return the breakdown values of `indicator` (own and comparison series), small groups without a value.

    Columns: series ("" = own), dimension, group, level, college, year, value (None when small),
    n, source, small (kern.rules.small_group). Groups come in the order the agenda file declares them.
    """
    declared = {
        dimension: {group: position for position, group in enumerate(groups)}
        for dimension, groups in (indicator.breakdowns or {}).items()
    }
    dimensions = {dimension: position for position, dimension in enumerate(declared)}
    result = []
    for row in context_rows(indicator) if rows is None else rows:
        if not row["group"]:
            continue
        small = small_group(row["n"])
        result.append(
            {
                "series": row["series"],
                "dimension": row["dimension"],
                "group": row["group"],
                "level": row["level"],
                "college": row["college__code"],
                "year": row["year"],
                "value": None if small else row["value"],
                "n": row["n"],
                "source": row["source"],
                "small": small,
            }
        )
    # Declared order first (PrO, vso, vmbo-b ... as the agenda lists them), undeclared ones after.
    result.sort(
        key=lambda r: (
            dimensions.get(r["dimension"], len(dimensions)),
            r["dimension"],
            declared.get(r["dimension"], {}).get(r["group"], 10_000),
            r["group"],
            r["series"],
            r["year"],
        )
    )
    return pd.DataFrame(result, columns=BREAKDOWN_COLUMNS)


def own_sources(indicator: Indicator) -> dict[int, str]:
    """Return the source of the institution's own value per year.

    The institution row's source when it has one; else the most common source of the college and
    team rows of that year (ties: the alphabetically first, so the page is stable). Years without
    any source are left out.
    """
    by_year: dict[int, Counter] = {}
    institution: dict[int, str] = {}
    for year, level, source in Measurement.objects.filter(indicator=indicator).values_list("year", "level", "source"):
        if not source:
            continue
        if level == Level.INSTITUTION:
            institution[year] = source
        else:
            by_year.setdefault(year, Counter())[source] += 1
    sources = {}
    for year in sorted(set(institution) | set(by_year)):
        if year in institution:
            sources[year] = institution[year]
        else:
            counts = by_year[year]
            top = max(counts.values())
            sources[year] = min(source for source, count in counts.items() if count == top)
    return sources


def source_changes(sources: dict[int, str]) -> list[dict]:
    """Return the years in which the own source differs from the previous year with a source.

    E.g. 1a: JOB (every other year, systematically higher) against the own survey STO, so a
    trend across such a year is not read like for like.
    """
    changes, previous = [], None
    for year in sorted(sources):
        if previous is not None and sources[year].casefold() != sources[previous].casefold():
            changes.append({"year": year, "before": sources[previous], "after": sources[year]})
        previous = year
    return changes


def _difference(own, other) -> Decimal | None:
    """Return own minus other exactly, None when either is missing."""
    if own is None or other is None:
        return None
    return Decimal(own) - Decimal(other)


@dataclass
class IndicatorContext:
    """What the indicator page shows beside the judged values (issue 18)."""

    series: list[dict]  # [{series, label}] institution-level comparison series, in order
    comparisons: pd.DataFrame  # institution-level comparison totals: series, label, year, value, source
    year_rows: list[dict]  # per year: own value, source, each series' value and the difference
    sources: dict[int, str]
    changes: list[dict]
    breakdowns: list[dict]  # per dimension: groups, years, table rows, frame for the chart


def _breakdown_tables(indicator: Indicator, frame: pd.DataFrame) -> list[dict]:
    """Return per dimension the institution-level table (group and series x year) and its chart frame.

    Every declared dimension is listed, also without values (the page then says how to load them).
    The own series comes first in each group, then the comparison series (2b per mbo level has
    only DUO and landelijk figures in the agenda, ch. 7.4).
    """
    inst = frame[frame["level"] == Level.INSTITUTION] if len(frame) else frame
    dimensions = list(indicator.breakdowns or {})
    dimensions += [d for d in dict.fromkeys(inst["dimension"]) if d not in dimensions]
    result = []
    for dimension in dimensions:
        rows = inst[inst["dimension"] == dimension]
        groups = list((indicator.breakdowns or {}).get(dimension, []))
        groups += [g for g in dict.fromkeys(rows["group"]) if g not in groups]
        series = sorted(dict.fromkeys(rows["series"]), key=lambda s: (s != OWN_SERIES, s.casefold()))
        years = sorted({int(y) for y in rows["year"]})
        cells = {(r["group"], r["series"], int(r["year"])): r for r in rows.to_dict("records")}
        table = []
        for group in groups:
            for name in series or [OWN_SERIES]:
                if series and not any((group, name, year) in cells for year in years) and name != OWN_SERIES:
                    continue  # a comparison series without this group: no empty row for it
                table.append(
                    {
                        "group": group,
                        "series": name,
                        "label": series_label(name),
                        "cells": [
                            {
                                "year": year,
                                "value": cells[(group, name, year)]["value"] if (group, name, year) in cells else None,
                                "n": cells[(group, name, year)]["n"] if (group, name, year) in cells else None,
                                "small": cells[(group, name, year)]["small"] if (group, name, year) in cells else False,
                                "present": (group, name, year) in cells,
                            }
                            for year in years
                        ],
                    }
                )
        result.append(
            {
                "dimension": dimension,
                "groups": groups,
                "series": [{"series": name, "label": series_label(name)} for name in series],
                "years": years,
                "rows": table,
                "frame": rows.reset_index(drop=True),
                # Where the figures come from, each once (the demo's illustrative 2a groups say so here).
                "sources": [s for s in dict.fromkeys(rows["source"]) if s] if len(rows) else [],
                "has_values": bool(len(rows)),
                "has_own": bool((rows["series"] == OWN_SERIES).any()) if len(rows) else False,
                # Values only at college level: the page says so instead of "nog geen waarden".
                "college_only": not len(rows) and dimension in set(frame["dimension"]),
            }
        )
    return result


def indicator_context(indicator: Indicator, institution_rows: list[dict]) -> IndicatorContext:
    """Return the comparison series, breakdowns and sources of `indicator` for its page.

    `institution_rows`: the own institution value per year ({year, value}) as the trend shows it
    (the given value, else the aggregate; domain.md).
    """
    rows = context_rows(indicator)
    comparisons = comparison_frame(indicator, rows)
    inst = comparisons[comparisons["level"] == Level.INSTITUTION].copy()
    series = [{"series": s, "label": series_label(s)} for s in dict.fromkeys(inst["series"])]
    inst["label"] = [series_label(s) for s in inst["series"]]
    sources = own_sources(indicator)
    own = {int(row["year"]): row["value"] for row in institution_rows}
    lookup = {(row["series"], int(row["year"])): row for row in inst.to_dict("records")}
    years = sorted(set(own) | {int(y) for y in inst["year"]})
    year_rows = []
    for year in years:
        value = own.get(year)
        year_rows.append(
            {
                "year": year,
                "value": value,
                "source": sources.get(year, ""),
                "comparisons": [
                    {
                        "label": s["label"],
                        "value": lookup[(s["series"], year)]["value"] if (s["series"], year) in lookup else None,
                        "source": lookup[(s["series"], year)]["source"] if (s["series"], year) in lookup else "",
                        "difference": _difference(
                            value, lookup[(s["series"], year)]["value"] if (s["series"], year) in lookup else None
                        ),
                    }
                    for s in series
                ],
            }
        )
    return IndicatorContext(
        series=series,
        comparisons=inst[["series", "label", "year", "value", "source"]].reset_index(drop=True),
        year_rows=year_rows,
        sources=sources,
        changes=source_changes(sources),
        breakdowns=_breakdown_tables(indicator, breakdown_frame(indicator, rows)),
    )
