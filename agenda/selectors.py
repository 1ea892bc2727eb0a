"""Reads of the agenda: the whole agenda of an institution as a load_agenda document (backup)."""

from decimal import Decimal

from agenda.models import AdditionalFund, BudgetYear, College, Indicator, Institution, Team, Theme


def _number(value: Decimal | None):
    """Return a Decimal as a YAML number: int when whole, else a float with the same digits."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value.normalize())


def _euros(cents: int):
    """Return cents as euros for the file (exact: at most 2 decimals)."""
    return _number(Decimal(cents) / 100)


def agenda_document(institution: Institution) -> dict:
    """Return the institution's whole agenda in the format of contracts.md section 1 (+ extensions)."""
    teams_by_college: dict[int, list[dict]] = {}
    for team in Team.objects.filter(institution=institution).order_by("code"):
        entry = {"code": team.code, "name": team.name}
        if team.active_from is not None:
            entry["active_from"] = team.active_from
        if team.active_until is not None:
            entry["active_until"] = team.active_until
        teams_by_college.setdefault(team.college_id, []).append(entry)
    colleges = []
    for college in College.objects.filter(institution=institution).order_by("code"):
        entry = {"code": college.code, "name": college.name, "active": college.active}
        if teams_by_college.get(college.pk):
            entry["teams"] = teams_by_college[college.pk]
        colleges.append(entry)

    indicators_by_theme: dict[int, list[dict]] = {}
    for indicator in (
        Indicator.objects.filter(institution=institution)
        .prefetch_related("ambitions", "factors")
        .order_by("position", "code")
    ):
        ambitions = []
        by_year: dict[int, list] = {}
        for ambition in sorted(indicator.ambitions.all(), key=lambda a: (a.year, a.revision)):
            by_year.setdefault(ambition.year, []).append(ambition)
        for year, versions in sorted(by_year.items()):
            *earlier, current = versions
            entry = {"year": year, **_terms(current)}
            if earlier:
                entry["revisions"] = [{**_terms(a), "date": a.created_at.isoformat()} for a in earlier]
            ambitions.append(entry)
        baseline = {"year": indicator.baseline_year}
        if indicator.baseline_value is not None:
            baseline["value"] = _number(indicator.baseline_value)
        indicators_by_theme.setdefault(indicator.theme_id, []).append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "polarity": indicator.polarity,
                "levels": list(indicator.levels),
                "baseline": baseline,
                "description": indicator.description,
                "ambitions": ambitions,
                "factors": [
                    {"name": f.name, "effect": f.effect, "description": f.description} for f in indicator.factors.all()
                ],
            }
        )
    funds_by_theme: dict[int, list[dict]] = {}
    for fund in AdditionalFund.objects.filter(institution=institution).order_by("theme_id", "year", "source"):
        entry = {"source": fund.source, "amount_eur": _euros(fund.amount_cents), "note": fund.note}
        if fund.year is not None:
            entry["year"] = fund.year
        funds_by_theme.setdefault(fund.theme_id, []).append(entry)
    themes = [
        {
            "code": theme.code,
            "name": theme.name,
            "national": theme.national,
            "budget_share_pct": _number(theme.budget_share_pct),
            "ambition": theme.ambition,
            "goals": list(theme.goals.order_by("position").values_list("text", flat=True)),
            "additional_funds": funds_by_theme.get(theme.pk, []),
            "indicators": indicators_by_theme.get(theme.pk, []),
        }
        for theme in Theme.objects.filter(institution=institution).order_by("position", "code")
    ]
    return {
        "institution": {"code": institution.code, "name": institution.name},
        "period": {"start": institution.period_start, "end": institution.period_end},
        "colleges": colleges,
        "themes": themes,
        "budget": [
            {
                "year": b.year,
                "total_eur": _euros(b.total_cents),
                "result_dependent_pct": _number(b.result_dependent_pct),
                "central_pct": _number(b.central_pct),
            }
            for b in BudgetYear.objects.filter(institution=institution).order_by("year")
        ],
    }


def _terms(ambition) -> dict:
    """Return an ambition's terms as file entries."""
    entry = {"type": ambition.type}
    if ambition.target is not None:
        entry["target"] = _number(ambition.target)
    if ambition.tolerance:
        entry["tolerance"] = _number(ambition.tolerance)
    if ambition.indicative:
        entry["indicative"] = True
    if ambition.reason:
        entry["reason"] = ambition.reason
    return entry
