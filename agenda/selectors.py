"""Reads of the agenda: the agenda as stored, the backup document, and what applies in a year.

`agenda_spec` gives the stored agenda in the normalised shape of agenda.schema.validate_agenda,
so the backup (`agenda_document`) and the loader's memory of what the application changed
(agenda.services.agenda_load) read the database in one way. The herijking selectors answer
"what is in force in year Y" (domain.md, "The agenda changes over time"): the latest revision
from a year <= Y, else the original.
"""

from decimal import Decimal

from agenda.models import (
    AdditionalFund,
    Ambition,
    Applicability,
    BaselineRevision,
    BudgetYear,
    College,
    Indicator,
    Institution,
    Team,
    Theme,
    ThemeShareRevision,
)
from kern.rules import dutch, float_keeps


def _in_force(versions: dict, year: int, original):
    """Return the version with the latest from-year <= `year` in {from_year: version}, else `original`."""
    since = [from_year for from_year in versions if from_year is not None and from_year <= year]
    return versions[max(since)] if since else original


def _applicability_lists(indicators, owners: dict[int, int] | None = None) -> dict[int, dict[int | None, set[int]]]:
    """Return {indicator id: {from_year (None: own list): college ids}} for the given indicators.

    `owners`, when given, is filled with {indicator id: institution id} from the same rows.
    """
    lists: dict[int, dict[int | None, set[int]]] = {}
    columns = ["indicator_id", "from_year", "colleges__id"]
    rows = Applicability.objects.filter(indicator__in=indicators).values_list(
        *columns, *(["indicator__institution_id"] if owners is not None else [])
    )
    for indicator_id, from_year, college_id, *owner in rows:
        versions = lists.setdefault(indicator_id, {})
        versions.setdefault(from_year, set())
        if college_id is not None:  # a row without colleges applies to none
            versions[from_year].add(college_id)
        if owner:
            owners[indicator_id] = owner[0]
    return lists


def not_applicable(institution: Institution, years) -> set[tuple[int, int, int]]:
    """Return every (indicator id, year, college id) of the institution's colleges the indicator does not apply to.

    In year Y an indicator applies to the colleges of its latest revision from a year <= Y,
    else of its own list; with neither it applies to every college (contracts.md section 5).
    Every college of the institution is considered, active or not.
    """
    return not_applicable_many([institution], years)[institution.pk]


def not_applicable_many(institutions, years) -> dict[int, set[tuple[int, int, int]]]:
    """Return not_applicable per institution id, read in two queries for all of them (a sector recompute)."""
    ids = [institution.pk for institution in institutions]
    college_ids: dict[int, list[int]] = {pk: [] for pk in ids}
    for institution_id, college_id in College.objects.filter(institution_id__in=ids).values_list(
        "institution_id", "id"
    ):
        college_ids[institution_id].append(college_id)
    institution_of: dict[int, int] = {}
    lists = _applicability_lists(Indicator.objects.filter(institution_id__in=ids), owners=institution_of)
    result: dict[int, set[tuple[int, int, int]]] = {pk: set() for pk in ids}
    for indicator_id, versions in lists.items():
        institution_id = institution_of[indicator_id]
        for year in years:
            applies = _in_force(versions, year, versions.get(None))
            if applies is not None:
                result[institution_id].update(
                    (indicator_id, year, cid) for cid in college_ids[institution_id] if cid not in applies
                )
    return result


def indicator_colleges(indicator: Indicator, year: int) -> list[str] | None:
    """Return the codes of the colleges the indicator applies to in `year`, sorted; None for every college."""
    versions = _applicability_lists([indicator]).get(indicator.pk, {})
    applies = _in_force(versions, year, versions.get(None))
    if applies is None:
        return None
    return sorted(College.objects.filter(pk__in=applies).values_list("code", flat=True))


def theme_shares(institution: Institution, year: int) -> list[tuple[str, Decimal, bool]]:
    """Return (theme code, budget share in % in force in `year`, national) per theme, in theme order."""
    return theme_shares_by_year(institution, [year])[year]


def theme_shares_by_year(institution: Institution, years) -> dict[int, list[tuple[str, Decimal, bool]]]:
    """Return theme_shares for each of `years`, read in two queries (a recompute asks for every budget year)."""
    revisions: dict[int, dict[int, Decimal]] = {}
    for theme_id, from_year, share in ThemeShareRevision.objects.filter(theme__institution=institution).values_list(
        "theme_id", "from_year", "budget_share_pct"
    ):
        revisions.setdefault(theme_id, {})[from_year] = share
    themes = list(Theme.objects.filter(institution=institution).order_by("position", "code"))
    return {
        year: [
            (theme.code, _in_force(revisions.get(theme.pk, {}), year, theme.budget_share_pct), theme.national)
            for theme in themes
        ]
        for year in years
    }


def indicator_baseline(indicator: Indicator, year: int) -> tuple[int, Decimal | None]:
    """Return (baseline year, baseline value or None: from data) of the indicator in force in `year`."""
    versions = {
        r.from_year: (r.baseline_year, r.baseline_value)
        for r in BaselineRevision.objects.filter(indicator=indicator).only(
            "from_year", "baseline_year", "baseline_value"
        )
    }
    return _in_force(versions, year, (indicator.baseline_year, indicator.baseline_value))


def latest_baseline_years(indicators) -> dict[int, int]:
    """Return {indicator id: its latest baseline year, the original or one a herijking set (BaselineRevision)}.

    Values of a baseline year are the bar teams are judged by, so only policy staff write them
    (domain.md, "Data that can be trusted"); a revision from 2021 to the baseline of 2019 makes
    2019 such a year as well.
    """
    latest = {indicator.pk: indicator.baseline_year for indicator in indicators}
    for indicator_id, year in BaselineRevision.objects.filter(indicator_id__in=list(latest)).values_list(
        "indicator_id", "baseline_year"
    ):
        latest[indicator_id] = max(latest[indicator_id], year)
    return latest


def years_judged_against(indicators, years) -> dict[int, dict[int, list[int]]]:
    """Return {indicator id: {baseline year: the years of `years` judged against it}}, revisions included.

    The baseline in force in Y is the latest revision from a year <= Y, else the indicator's own
    (domain.md, "The agenda changes over time"), as revised_baselines gives the engine.
    """
    indicators = list(indicators)
    versions: dict[int, dict[int, tuple]] = {}
    for indicator_id, from_year, baseline_year in BaselineRevision.objects.filter(
        indicator_id__in=[indicator.pk for indicator in indicators]
    ).values_list("indicator_id", "from_year", "baseline_year"):
        versions.setdefault(indicator_id, {})[from_year] = baseline_year
    judged: dict[int, dict[int, list[int]]] = {}
    for indicator in indicators:
        per_baseline = judged.setdefault(indicator.pk, {})
        for year in years:
            baseline_year = _in_force(versions.get(indicator.pk, {}), year, indicator.baseline_year)
            per_baseline.setdefault(baseline_year, []).append(year)
    return judged


def revised_baselines(institution: Institution, years) -> list[tuple[int, int, int, Decimal | None]]:
    """Return (indicator id, year, baseline year, value or None) for every year in which a revision is in force.

    Years without a revision in force keep the indicator's own baseline and are left out, so
    the engine's input stays empty for an agenda without a baseline herijking.
    """
    return revised_baselines_many([institution], years)[institution.pk]


def revised_baselines_many(institutions, years) -> dict[int, list[tuple[int, int, int, Decimal | None]]]:
    """Return revised_baselines per institution id, read in one query for all of them (a sector recompute)."""
    ids = [institution.pk for institution in institutions]
    versions: dict[int, dict[int, tuple]] = {}
    institution_of: dict[int, int] = {}
    for institution_id, indicator_id, from_year, baseline_year, value in BaselineRevision.objects.filter(
        indicator__institution_id__in=ids
    ).values_list("indicator__institution_id", "indicator_id", "from_year", "baseline_year", "baseline_value"):
        versions.setdefault(indicator_id, {})[from_year] = (baseline_year, value)
        institution_of[indicator_id] = institution_id
    rows: dict[int, list[tuple]] = {pk: [] for pk in ids}
    for indicator_id, revisions in versions.items():
        for year in years:
            in_force = _in_force(revisions, year, None)
            if in_force is not None:
                rows[institution_of[indicator_id]].append((indicator_id, year, *in_force))
    return {pk: sorted(found) for pk, found in rows.items()}


def agenda_spec(institution: Institution) -> dict:
    """Return the stored agenda in the normalised shape of agenda.schema.validate_agenda (every row, in order)."""
    teams_by_college: dict[int, list[dict]] = {}
    for team in Team.objects.filter(institution=institution).order_by("code"):
        teams_by_college.setdefault(team.college_id, []).append(
            {
                "code": team.code,
                "name": team.name,
                "active_from": team.active_from,
                "active_until": team.active_until,
            }
        )
    stored_colleges = list(College.objects.filter(institution=institution).order_by("code"))
    colleges = [
        {"code": c.code, "name": c.name, "active": c.active, "teams": teams_by_college.get(c.pk, [])}
        for c in stored_colleges
    ]
    codes = {c.pk: c.code for c in stored_colleges}

    indicators = list(
        Indicator.objects.filter(institution=institution)
        .prefetch_related("ambitions", "factors", "baseline_revisions", "components__component")
        .order_by("position", "code")
    )
    applicability = _applicability_lists(indicators)
    indicators_by_theme: dict[int, list[dict]] = {}
    for indicator in indicators:
        lists = applicability.get(indicator.pk, {})
        revisions = {
            year: {"from": year, "colleges": None, "baseline_year": None, "baseline_value": None, "reason": ""}
            for year in [y for y in lists if y is not None] + [r.from_year for r in indicator.baseline_revisions.all()]
        }
        for year, ids in lists.items():
            if year is not None:
                revisions[year]["colleges"] = sorted(codes[i] for i in ids)
        for r in indicator.baseline_revisions.all():
            revisions[r.from_year].update(baseline_year=r.baseline_year, baseline_value=r.baseline_value)
        by_year: dict[int, list] = {}
        for ambition in sorted(indicator.ambitions.all(), key=lambda a: (a.year, a.revision)):
            by_year.setdefault(ambition.year, []).append(ambition)
        ambitions = []
        for year, versions in sorted(by_year.items()):
            *earlier, current = versions
            ambitions.append(
                {
                    "year": year,
                    **_ambition_terms(current),
                    "revisions": [{**_ambition_terms(a), "date": a.created_at.isoformat()} for a in earlier],
                }
            )
        indicators_by_theme.setdefault(indicator.theme_id, []).append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "polarity": indicator.polarity,
                "levels": list(indicator.levels),
                "baseline_year": indicator.baseline_year,
                "baseline_value": indicator.baseline_value,
                "description": indicator.description,
                "definition": indicator.definition,
                "source": indicator.source,
                "choices": [{"field": c["field"], "reason": c["reason"]} for c in indicator.choices],
                "colleges": sorted(codes[i] for i in lists[None]) if None in lists else None,
                "revisions": [revisions[year] for year in sorted(revisions)],
                "ambitions": ambitions,
                "factors": [
                    {"name": f.name, "effect": f.effect, "description": f.description} for f in indicator.factors.all()
                ],
                "breakdowns": {dimension: list(groups) for dimension, groups in (indicator.breakdowns or {}).items()},
                "composite": _composite_spec(indicator),
            }
        )
    funds_by_theme: dict[int, list[dict]] = {}
    for fund in AdditionalFund.objects.filter(institution=institution).order_by("theme_id", "year", "source"):
        funds_by_theme.setdefault(fund.theme_id, []).append(
            {"source": fund.source, "amount_cents": fund.amount_cents, "year": fund.year, "note": fund.note}
        )
    themes = [
        {
            "code": theme.code,
            "name": theme.name,
            "national": theme.national,
            "budget_share_pct": theme.budget_share_pct,
            "ambition": theme.ambition,
            "goals": [goal.text for goal in theme.goals.all()],
            "indicators": indicators_by_theme.get(theme.pk, []),
            "additional_funds": funds_by_theme.get(theme.pk, []),
            "revisions": [
                {"from": r.from_year, "budget_share_pct": r.budget_share_pct, "reason": r.reason}
                for r in theme.share_revisions.all()
            ],
        }
        for theme in Theme.objects.filter(institution=institution)
        .prefetch_related("goals", "share_revisions")
        .order_by("position", "code")
    ]
    return {
        "institution": {"code": institution.code, "name": institution.name},
        "period": {"start": institution.period_start, "end": institution.period_end},
        "colleges": colleges,
        "themes": themes,
        "budget": [
            {
                "year": b.year,
                "total_cents": b.total_cents,
                "result_dependent_pct": b.result_dependent_pct,
                "central_pct": b.central_pct,
                "choices": [{"field": c["field"], "reason": c["reason"]} for c in b.choices],
            }
            for b in BudgetYear.objects.filter(institution=institution).order_by("year")
        ],
    }


def _composite_spec(indicator: Indicator) -> dict | None:
    """Return an indicator's composite definition in the normalised shape (issue 18), or None."""
    components = sorted(indicator.components.all(), key=lambda row: (row.position, row.component.code))
    if not components:
        return None
    return {
        "weight_by_n": indicator.composite_weight_by_n,
        "components": [{"indicator": row.component.code, "weight": row.weight} for row in components],
    }


def _ambition_terms(ambition) -> dict:
    """Return an ambition's terms in the normalised shape."""
    return {
        "type": ambition.type,
        "target": ambition.target,
        "tolerance": ambition.tolerance,
        "indicative": ambition.indicative,
        "reason": ambition.reason,
    }


def _number(value: Decimal | None):
    """Return a Decimal as a YAML number: int when whole, the float with the same digits, else the Decimal.

    A value of more digits than a float keeps stays a Decimal, which agenda.schema.dump_agenda_text
    writes with every digit (issue 11 part 7).
    """
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    value = value.normalize()
    return float(value) if float_keeps(value) else value


def _euros(cents: int):
    """Return cents as euros for the file (exact: at most 2 decimals)."""
    return _number(Decimal(cents) / 100)


def agenda_document(institution: Institution) -> dict:
    """Return the institution's whole agenda in the format of contracts.md sections 1 and 5 (a backup)."""
    spec = agenda_spec(institution)
    colleges = []
    for college in spec["colleges"]:
        entry = {"code": college["code"], "name": college["name"], "active": college["active"]}
        if college["teams"]:
            entry["teams"] = [{k: v for k, v in team.items() if v is not None} for team in college["teams"]]
        colleges.append(entry)
    themes = []
    for theme in spec["themes"]:
        entry = {
            "code": theme["code"],
            "name": theme["name"],
            "national": theme["national"],
            "budget_share_pct": _number(theme["budget_share_pct"]),
        }
        if theme["revisions"]:
            entry["revisions"] = [
                {"from": r["from"], "budget_share_pct": _number(r["budget_share_pct"]), **_reason(r)}
                for r in theme["revisions"]
            ]
        entry.update(
            {
                "ambition": theme["ambition"],
                "goals": theme["goals"],
                "additional_funds": [_fund(f) for f in theme["additional_funds"]],
                "indicators": [_indicator_entry(ind) for ind in theme["indicators"]],
            }
        )
        themes.append(entry)
    return {
        "institution": spec["institution"],
        "period": spec["period"],
        "colleges": colleges,
        "themes": themes,
        "budget": [
            {
                "year": b["year"],
                "total_eur": _euros(b["total_cents"]),
                "result_dependent_pct": _number(b["result_dependent_pct"]),
                "central_pct": _number(b["central_pct"]),
                **({"choices": b["choices"]} if b["choices"] else {}),
            }
            for b in spec["budget"]
        ],
    }


def _reason(entry: dict) -> dict:
    """Return {"reason": ...} when the entry has one, else nothing."""
    return {"reason": entry["reason"]} if entry.get("reason") else {}


def _fund(fund: dict) -> dict:
    """Return an additional fund as a file entry."""
    entry = {"source": fund["source"], "amount_eur": _euros(fund["amount_cents"]), "note": fund["note"]}
    if fund["year"] is not None:
        entry["year"] = fund["year"]
    return entry


def _baseline(year: int, value: Decimal | None) -> dict:
    """Return a baseline as a file entry (value only when stored)."""
    return {"year": year} if value is None else {"year": year, "value": _number(value)}


def _indicator_entry(ind: dict) -> dict:
    """Return an indicator as a file entry."""
    entry = {
        "code": ind["code"],
        "name": ind["name"],
        "unit": ind["unit"],
        "polarity": ind["polarity"],
        "levels": ind["levels"],
        "baseline": _baseline(ind["baseline_year"], ind["baseline_value"]),
        "description": ind["description"],
    }
    # Extension (contracts-extensions.md section 8), written only when set, as files leave them out.
    for key in ("definition", "source", "choices"):
        if ind[key]:
            entry[key] = ind[key]
    if ind["colleges"] is not None:
        entry["colleges"] = ind["colleges"]
    if ind["revisions"]:
        entry["revisions"] = []
        for r in ind["revisions"]:
            revision = {"from": r["from"]}
            if r["colleges"] is not None:
                revision["colleges"] = r["colleges"]
            if r["baseline_year"] is not None:
                revision["baseline"] = _baseline(r["baseline_year"], r["baseline_value"])
            entry["revisions"].append(revision)
    ambitions = []
    for a in ind["ambitions"]:
        item = {"year": a["year"], **_terms(a)}
        if a["revisions"]:
            item["revisions"] = [{**_terms(r), "date": r["date"]} for r in a["revisions"]]
        ambitions.append(item)
    entry["ambitions"] = ambitions
    entry["factors"] = ind["factors"]
    # Extension (issue 18), written only when set so that older files and backups stay as they were.
    if ind["breakdowns"]:
        entry["breakdowns"] = ind["breakdowns"]
    if ind["composite"]:
        entry["composite"] = {
            "weight_by_n": ind["composite"]["weight_by_n"],
            "components": [
                {"indicator": c["indicator"], "weight": _number(c["weight"])} for c in ind["composite"]["components"]
            ],
        }
    return entry


def _terms(ambition: dict) -> dict:
    """Return an ambition's terms as file entries (defaults left out)."""
    entry = {"type": ambition["type"]}
    if ambition["target"] is not None:
        entry["target"] = _number(ambition["target"])
    if ambition["tolerance"]:
        entry["tolerance"] = _number(ambition["tolerance"])
    if ambition["indicative"]:
        entry["indicative"] = True
    if ambition["reason"]:
        entry["reason"] = ambition["reason"]
    return entry


# --- Herijking pages (agenda/views.py): what applies and which shares hold, per year ---


def revisable_indicators(institution):
    """Return the institution's indicators that can apply to some colleges only (not institution-only ones)."""
    indicators = Indicator.objects.filter(institution=institution).order_by("position", "code")
    return indicators.filter(pk__in=[i.pk for i in indicators if not i.institution_only])


def _periods(by_year: dict[int, object]) -> list[tuple[int, int, object]]:
    """Return (first year, last year, value) for each run of consecutive years with the same value."""
    periods: list[list] = []
    for year, value in by_year.items():
        if periods and periods[-1][2] == value:
            periods[-1][1] = year
        else:
            periods.append([year, year, value])
    return [tuple(period) for period in periods]


def applicability_overview(institution: Institution) -> tuple[list[College], list[dict], dict]:
    """Return the colleges, per revisable indicator the colleges it applies to per run of years, and the lists.

    The lists are {indicator code: {year: [college codes]}}: what applies in each year of the
    period, read through agenda.selectors.not_applicable (the engine's own reading).
    """
    colleges = list(College.objects.filter(institution=institution).order_by("code"))
    indicators = list(revisable_indicators(institution))
    years = list(institution.years)
    missing = not_applicable(institution, years)
    lists = {
        indicator.code: {
            year: [c.code for c in colleges if (indicator.pk, year, c.pk) not in missing] for year in years
        }
        for indicator in indicators
    }
    rows = []
    for indicator in indicators:
        periods = []
        for first, last, codes in _periods({year: tuple(codes) for year, codes in lists[indicator.code].items()}):
            periods.append(
                {
                    "first": first,
                    "last": last,
                    "count": len(codes),
                    "all": len(codes) == len(colleges),
                    "left_out": [c for c in colleges if c.code not in codes],
                }
            )
        rows.append({"indicator": indicator, "periods": periods})
    return colleges, rows, lists


def share_overview(institution: Institution) -> tuple[list[dict], list[dict], dict]:
    """Return per theme its share in force per year, the total per year, and {theme code: {year: share text}}.

    Shares are Dutch text (12,5); the page shows them as they are typed in the form.
    """
    years = list(institution.years)
    themes = list(Theme.objects.filter(institution=institution).order_by("position", "code"))
    in_force = {year: {code: share for code, share, _ in theme_shares(institution, year)} for year in years}
    shares = {theme.code: {year: dutch(in_force[year][theme.code]) for year in years} for theme in themes}
    rows = [{"theme": theme, "shares": list(shares[theme.code].values())} for theme in themes]
    totals = []
    for year in years:
        total = sum(in_force[year].values())
        totals.append({"year": year, "total": dutch(total), "balanced": total == 100})
    return rows, totals, shares


def baseline_overview(institution: Institution) -> tuple[list[int], list[dict], dict]:
    """Return the years, per indicator the baseline in force per year, and {code: {year: form values}}.

    A cell is (baseline year, value or None: taken from the data of that year, revised or not):
    the latest revision from a year <= Y, else the indicator's own baseline, as the engine
    judges (revised_baselines). The form values (year and value as Dutch text) let the baselines
    page start from what holds in the chosen year.
    """
    years = list(institution.years)
    indicators = list(Indicator.objects.filter(institution=institution).order_by("position", "code"))
    versions: dict[int, dict[int, tuple]] = {}
    for indicator_id, from_year, baseline_year, value in BaselineRevision.objects.filter(
        indicator__institution=institution
    ).values_list("indicator_id", "from_year", "baseline_year", "baseline_value"):
        versions.setdefault(indicator_id, {})[from_year] = (baseline_year, value, True)
    rows, values = [], {}
    for indicator in indicators:
        own = (indicator.baseline_year, indicator.baseline_value, False)
        cells = []
        for year in years:
            baseline_year, value, revised = _in_force(versions.get(indicator.pk, {}), year, own)
            cells.append({"year": year, "baseline_year": baseline_year, "value": value, "revised": revised})
        values[indicator.code] = {
            cell["year"]: {
                "baseline_year": cell["baseline_year"],
                "baseline_value": "" if cell["value"] is None else dutch(cell["value"]),
            }
            for cell in cells
        }
        rows.append({"indicator": indicator, "cells": cells})
    return years, rows, values


def ambition_overview(institution: Institution) -> tuple[list[int], list[dict], dict]:
    """Return the years, per indicator the ambition in force per year, and {code: {year: form values}}.

    The form values (type, target and margin as Dutch text) let the ambitions page start from
    the ambition that holds in the chosen year: the latest revision (herijking) of that year's
    ambition, else of the nearest later year's (as the engine judges, rapportage.engine.attainment).
    """
    years = list(institution.years)
    indicators = list(Indicator.objects.filter(institution=institution).order_by("position", "code"))
    latest: dict[tuple[int, int], Ambition] = {}
    for ambition in Ambition.objects.filter(indicator__institution=institution).order_by("revision"):
        latest[(ambition.indicator_id, ambition.year)] = ambition
    rows, values = [], {}
    for indicator in indicators:
        cells, values[indicator.code] = [], {}
        own_years = sorted(year for (pk, year) in latest if pk == indicator.pk)
        for year in years:
            # A year without its own ambition is judged on the nearest later one (domain.md, engine).
            later = next((y for y in own_years if y >= year), None)
            ambition = latest.get((indicator.pk, later))
            cells.append(ambition)
            if ambition is not None:
                values[indicator.code][year] = {
                    "type": ambition.type,
                    "target": "" if ambition.target is None else dutch(ambition.target),
                    "tolerance": dutch(ambition.tolerance),
                    "indicative": ambition.indicative,
                }
        rows.append({"indicator": indicator, "cells": list(zip(years, cells, strict=True))})
    return years, rows, values
