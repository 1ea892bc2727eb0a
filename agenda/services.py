"""Writes to the agenda: loading an agenda file, teams, and ambition revisions (herijking)."""

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agenda.models import (
    AdditionalFund,
    Ambition,
    BudgetYear,
    College,
    Factor,
    Goal,
    Indicator,
    Institution,
    Team,
    Theme,
)
from agenda.schema import AgendaFileError, validate_agenda
from kern.signals import announce_change


@dataclass
class LoadReport:
    """What a load created, updated and removed, per kind of row."""

    institution: Institution | None = None
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)

    @property
    def changes(self) -> int:
        """Return the number of rows written."""
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.removed.values())

    def summary(self) -> str:
        """Return a one-paragraph Dutch summary."""
        if not self.changes:
            return f"{self.institution.code}: niets gewijzigd (het bestand was al geladen)."
        parts = []
        for label, counter in (("nieuw", self.created), ("gewijzigd", self.updated), ("verwijderd", self.removed)):
            counts = {kind: n for kind, n in counter.items() if n}
            if counts:
                parts.append(f"{label}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
        return f"{self.institution.code}: " + "; ".join(parts) + "."


def _upsert(model, lookup: dict, values: dict, report: LoadReport, kind: str):
    """Return the row matching `lookup`, created or updated to `values`; save only real changes."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        report.created[kind] += 1
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated[kind] += 1
    return obj


def _ambition_differs(current: Ambition, spec: dict) -> bool:
    """Return whether an ambition in the file differs from the one in force."""
    return (
        current.type != spec["type"]
        or current.target != spec["target"]
        or current.tolerance != spec["tolerance"]
        or current.indicative != spec["indicative"]
    )


@transaction.atomic
def agenda_load(*, data: dict, source: str = "", user=None) -> LoadReport:
    """Load or update an institution's agenda from a parsed file: atomic and idempotent.

    Ambitions are never overwritten: a changed ambition becomes a new revision (herijking).
    Colleges, teams, themes and indicators missing from the file are kept, as they may have data.
    """
    spec = validate_agenda(data)
    report = LoadReport()
    inst = _upsert(
        Institution,
        {"code": spec["institution"]["code"]},
        {
            "name": spec["institution"]["name"],
            "period_start": spec["period"]["start"],
            "period_end": spec["period"]["end"],
        },
        report,
        "instelling",
    )
    report.institution = inst

    errors = []
    for i, col in enumerate(spec["colleges"]):
        college = _upsert(
            College,
            {"institution": inst, "code": col["code"]},
            {"name": col["name"], "active": col["active"]},
            report,
            "colleges",
        )
        for j, team in enumerate(col["teams"]):
            existing = Team.objects.filter(institution=inst, code=team["code"]).select_related("college").first()
            if existing and existing.college_id != college.id:
                errors.append(
                    f"colleges[{i}].teams[{j}].code: team '{team['code']}' hoort al bij college {existing.college.code}"
                )
                continue
            _upsert(
                Team,
                {"institution": inst, "code": team["code"]},
                {
                    "college": college,
                    "name": team["name"],
                    "active_from": team["active_from"],
                    "active_until": team["active_until"],
                },
                report,
                "teams",
            )
    if errors:
        raise AgendaFileError(errors)

    indicator_position = 0
    for position, th in enumerate(spec["themes"], start=1):
        theme = _upsert(
            Theme,
            {"institution": inst, "code": th["code"]},
            {
                "name": th["name"],
                "national": th["national"],
                "budget_share_pct": th["budget_share_pct"],
                "ambition": th["ambition"],
                "position": position,
            },
            report,
            "thema's",
        )
        if list(theme.goals.values_list("text", flat=True)) != th["goals"]:
            report.removed["doelen"] += theme.goals.all().delete()[0]
            Goal.objects.bulk_create(Goal(theme=theme, text=text, position=k) for k, text in enumerate(th["goals"], 1))
            report.created["doelen"] += len(th["goals"])
        _sync_funds(inst, theme, th["additional_funds"], report)
        for ind in th["indicators"]:
            indicator_position += 1
            _load_indicator(inst, theme, ind, indicator_position, report, source, user)

    for entry in spec["budget"]:
        _upsert(
            BudgetYear,
            {"institution": inst, "year": entry["year"]},
            {
                "total_cents": entry["total_cents"],
                "result_dependent_pct": entry["result_dependent_pct"],
                "central_pct": entry["central_pct"],
            },
            report,
            "budgetjaren",
        )
    if report.changes:
        announce_change(institution=inst, reason=f"agenda geladen ({source or 'bestand'})")
    return report


def _load_indicator(
    inst: Institution, theme: Theme, ind: dict, position: int, report: LoadReport, source: str, user
) -> None:
    """Load one indicator with its ambitions (as revisions) and factors."""
    indicator = _upsert(
        Indicator,
        {"institution": inst, "code": ind["code"]},
        {
            "theme": theme,
            "name": ind["name"],
            "unit": ind["unit"],
            "polarity": ind["polarity"],
            "levels": ind["levels"],
            "baseline_year": ind["baseline_year"],
            "baseline_value": ind["baseline_value"],
            "description": ind["description"],
            "position": position,
        },
        report,
        "indicatoren",
    )
    for amb in ind["ambitions"]:
        current = indicator.ambitions.filter(year=amb["year"]).order_by("-revision").first()
        if current is None and amb["revisions"]:
            # A backup restores the herijking history first, oldest revision first.
            for earlier in amb["revisions"]:
                revision = ambition_add(
                    indicator=indicator,
                    year=amb["year"],
                    **{k: earlier[k] for k in ("type", "target", "tolerance", "indicative", "reason")},
                )
                _restore_date(revision, earlier["date"])
                report.created["ambitieversies"] += 1
            ambition_add(
                indicator=indicator,
                year=amb["year"],
                author=user,
                **{k: amb[k] for k in ("type", "target", "tolerance", "indicative", "reason")},
            )
            report.created["ambitieversies"] += 1
            continue
        if current is not None and not _ambition_differs(current, amb):
            continue
        ambition_add(
            indicator=indicator,
            year=amb["year"],
            type=amb["type"],
            target=amb["target"],
            tolerance=amb["tolerance"],
            indicative=amb["indicative"],
            reason=amb["reason"] or (f"gewijzigd in agendabestand {source}" if current else ""),
            author=user,
        )
        report.created["ambities" if current is None else "ambitieversies"] += 1
    keep = []
    for rank, factor in enumerate(ind["factors"], start=1):
        obj = _upsert(
            Factor,
            {"indicator": indicator, "name": factor["name"]},
            {"effect": factor["effect"], "description": factor["description"], "position": rank},
            report,
            "factoren",
        )
        keep.append(obj.pk)
    report.removed["factoren"] += indicator.factors.exclude(pk__in=keep).delete()[0]


def _restore_date(ambition: Ambition, text: str) -> None:
    """Set a restored revision's date from an ISO date in the file (auto_now_add ignores it)."""
    if not text:
        return
    from django.utils.dateparse import parse_datetime

    when = parse_datetime(text)
    if when is not None:
        Ambition.objects.filter(pk=ambition.pk).update(created_at=when)


def _sync_funds(inst: Institution, theme: Theme, funds: list[dict], report: LoadReport) -> None:
    """Make the theme's other additional funds equal to the file's."""
    keep = []
    for fund in funds:
        obj = _upsert(
            AdditionalFund,
            {"institution": inst, "theme": theme, "source": fund["source"], "year": fund["year"]},
            {"amount_cents": fund["amount_cents"], "note": fund["note"]},
            report,
            "additionele middelen",
        )
        keep.append(obj.pk)
    report.removed["additionele middelen"] += theme.additional_funds.exclude(pk__in=keep).delete()[0]


def ambition_add(
    *, indicator: Indicator, year: int, type: str, target=None, tolerance=0, indicative=False, reason="", author=None
) -> Ambition:
    """Store the next revision of an indicator's ambition for `year`: the one write of an ambition.

    Ambitions are never changed or deleted; a herijking adds a revision (domain.md, "Time").
    The loader and ambition_revise (pages, admin) both write through here.
    """
    current = indicator.ambitions.filter(year=year).order_by("-revision").first()
    ambition = Ambition(
        indicator=indicator,
        year=year,
        revision=(current.revision + 1) if current else 1,
        type=type,
        target=target,
        tolerance=tolerance,
        indicative=indicative,
        reason=(reason or "").strip(),
        author=author,
    )
    ambition.full_clean()
    ambition.save()
    return ambition


@transaction.atomic
def ambition_revise(
    *, indicator: Indicator, year: int, type: str, target=None, tolerance=0, indicative=False, reason: str, author=None
) -> Ambition:
    """Add a revision of an indicator's ambition for `year` (herijking) with its reason; the earlier one stays."""
    if not reason.strip():
        raise ValidationError({"reason": "Geef de reden van de herijking."})
    ambition = ambition_add(
        indicator=indicator,
        year=year,
        type=type,
        target=target,
        tolerance=tolerance,
        indicative=indicative,
        reason=reason,
        author=author,
    )
    announce_change(institution=indicator.institution, reason=f"ambitie {indicator.code} {year} herijkt")
    return ambition


def _check_college(user_colleges, college: College) -> None:
    """Raise PermissionDenied unless `college` is among the caller's colleges (None: all)."""
    if user_colleges is not None and college.pk not in user_colleges:
        raise PermissionDenied(f"Geen rechten voor college {college.code}.")


@transaction.atomic
def team_create(
    *, college: College, code: str, name: str, active_from: int | None = None, allowed_colleges=None
) -> Team:
    """Create a team in a college; codes are unique within the institution."""
    _check_college(allowed_colleges, college)
    team = Team(
        institution=college.institution, college=college, code=code.strip(), name=name.strip(), active_from=active_from
    )
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, name: str, active_until: int | None, allowed_colleges=None) -> Team:
    """Rename a team or set the last year it is active (deactivate from a year on)."""
    _check_college(allowed_colleges, team.college)
    team.name = name.strip()
    team.active_until = active_until
    team.full_clean()
    team.save()
    announce_change(institution=team.institution, reason=f"team {team.code} gewijzigd")
    return team


@transaction.atomic
def team_delete(*, team: Team, allowed_colleges=None) -> None:
    """Delete a team that has no data; a team with data can only be deactivated."""
    _check_college(allowed_colleges, team.college)
    if team.measurements.exists() or team.evidence.exists():
        raise ValidationError("Dit team heeft gegevens en kan niet worden verwijderd; zet het op inactief.")
    team.delete()
