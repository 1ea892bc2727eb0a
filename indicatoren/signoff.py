"""Sign-off and locking of a year's figures: submit, approve, reopen (domain.md, "Sign-off and locking").

Agenda ch. 4: teams account to the college directorate, colleges to the board. A director
submits the college's results for a year ("ingediend"); policy staff approve them for the
institution ("vastgesteld"), which locks the year for every channel, because the one write
service (indicatoren.services.measurements_apply) asks `approved_units` inside its lock.
Reopening needs a reason and is logged. The states and their transitions live on
`YearSignoff` (django-fsm-2); this module is the only caller.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from agenda.models import College, Institution
from agenda.permissions import can_write_college, is_policy
from indicatoren.choices import SignoffState
from indicatoren.models import SignoffEvent, YearSignoff
from indicatoren.selectors import FINAL, PROVISIONAL, data_status, year_states  # noqa: F401  (re-exported)
from indicatoren.services import lock_institution_data
from kern.signals import announce_change
from kern.text import visible_length

REASON_MIN_LENGTH = 5
ACTION_WORDS = {"submit": "ingediend", "withdraw": "ingetrokken", "approve": "vastgesteld", "reopen": "heropend"}


def approved_units(institution: Institution, years) -> dict[tuple[int | None, int], str]:
    """Return, per (college id or None for the institution level, year) that is approved, why writes are refused."""
    rows = (
        YearSignoff.objects.filter(institution=institution, year__in=list(years), state=SignoffState.APPROVED)
        .select_related("college", "changed_by")
        .order_by()
    )
    refused = {}
    for signoff in rows:
        unit = f"college {signoff.college.code}" if signoff.college_id else "het instellingsniveau"
        who = f" door {signoff.changed_by.username}" if signoff.changed_by_id else ""
        when = timezone.localtime(signoff.changed_at).strftime("%d-%m-%Y")
        refused[(signoff.college_id, signoff.year)] = (
            f"het jaar {signoff.year} is voor {unit} vastgesteld op {when}{who}; "
            "wijzigen kan pas nadat een beleidsmedewerker het jaar heropent."
        )
    return refused


def refuse_changes_to_approved_years(sender, *, institution, units, what: str, **kwargs) -> None:
    """Answer kern.signals.approved_change: refuse a change of what is judged or paid in an approved unit and year."""
    locked = approved_units(institution, {year for _, year in units})
    refused = sorted((unit for unit in units if unit in locked), key=lambda unit: (unit[1], unit[0] or 0))
    if refused:
        raise ValidationError(f"{what} in {refused[0][1]}, maar {locked[refused[0]]}")


def _signoff(institution: Institution, college: College | None, year: int) -> YearSignoff:
    """Return the sign-off row of a unit and year, created open when missing, locked for update."""
    if year not in institution.years:
        first, last = institution.period_start, institution.period_end
        raise ValidationError(f"Het jaar {year} valt buiten de agendaperiode {first}-{last}.")
    signoff, _ = YearSignoff.objects.get_or_create(institution=institution, college=college, year=year)
    return YearSignoff.objects.select_for_update().get(pk=signoff.pk)


def _step(signoff: YearSignoff, action: str, user, reason: str = "") -> bool:
    """Apply one transition and log it; return False when the unit is already where the action leads."""
    before = signoff.state
    try:
        getattr(signoff, action)()
    except TransitionNotAllowed as exc:
        unit = f"college {signoff.college.code}" if signoff.college_id else "het instellingsniveau"
        state = SignoffState(before).label
        raise ValidationError(
            f"{unit.capitalize()} {signoff.year} is {state}: '{ACTION_WORDS[action]}' kan nu niet."
        ) from exc
    signoff.changed_by = user if getattr(user, "pk", None) is not None else None
    signoff.save()
    SignoffEvent.objects.create(
        signoff=signoff,
        action=action,
        from_state=before,
        to_state=signoff.state,
        user=signoff.changed_by,
        reason=reason,
    )
    return True


def _units(institution: Institution, college: College | None) -> list[College | None]:
    """Return the units an institution-wide action covers: one college, or every college plus the institution level."""
    if college is not None:
        if college.institution_id != institution.pk:
            raise PermissionDenied("College van een andere instelling.")
        return [college]
    return [*College.objects.filter(institution=institution).order_by("code"), None]


@dataclass
class SignoffReport:
    """What an action changed: the units moved and those already in the target state."""

    changed: list[str]
    already: list[str]


def _label(college: College | None) -> str:
    return college.code if college is not None else "instelling"


@transaction.atomic
def signoff_submit(*, institution: Institution, college: College, year: int, user) -> SignoffReport:
    """Submit a college's results for a year (its director, or policy staff)."""
    if not can_write_college(user, college):
        raise PermissionDenied(f"Alleen de directeur van college {college.code} of een beleidsmedewerker dient in.")
    lock_institution_data(institution)  # no value write slips in between
    signoff = _signoff(institution, college, year)
    if signoff.state == SignoffState.SUBMITTED:
        return SignoffReport([], [_label(college)])
    _step(signoff, "submit", user)
    return SignoffReport([_label(college)], [])


@transaction.atomic
def signoff_withdraw(*, institution: Institution, college: College, year: int, user) -> SignoffReport:
    """Take a submission back (before approval) to correct it further."""
    if not can_write_college(user, college):
        raise PermissionDenied(f"Alleen de directeur van college {college.code} of een beleidsmedewerker trekt in.")
    signoff = _signoff(institution, college, year)
    _step(signoff, "withdraw", user)
    return SignoffReport([_label(college)], [])


@transaction.atomic
def signoff_approve(
    *, institution: Institution, year: int, college: College | None = None, user=None, system: bool = False
) -> SignoffReport:
    """Approve a year for one college or for the whole institution (every college and the institution level).

    Policy staff only (or a command, `system`). The year is locked from the moment this
    transaction commits: the write service checks approvals inside the same lock.
    """
    if not system and not is_policy(user, institution):
        raise PermissionDenied("Alleen beleidsmedewerkers stellen een jaar vast.")
    lock_institution_data(institution)
    report = SignoffReport([], [])
    for unit in _units(institution, college):
        signoff = _signoff(institution, unit, year)
        if signoff.state == SignoffState.APPROVED:
            report.already.append(_label(unit))
            continue
        _step(signoff, "approve", user)
        report.changed.append(_label(unit))
    if report.changed:
        # Verdicts on approved data read "vastgesteld": a new result version refreshes pages and ETags.
        announce_change(institution=institution, reason=f"jaar {year} vastgesteld")
    return report


@transaction.atomic
def signoff_reopen(
    *, institution: Institution, year: int, reason: str, college: College | None = None, user=None, system=False
) -> SignoffReport:
    """Reopen an approved year (policy staff) with a reason that is logged with who and when."""
    if not system and not is_policy(user, institution):
        raise PermissionDenied("Alleen beleidsmedewerkers heropenen een vastgesteld jaar.")
    reason = (reason or "").strip()
    # Visible characters only: a reason of zero-width spaces logs nothing a reader can see.
    if visible_length(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            f"Geef een reden voor het heropenen (minstens {REASON_MIN_LENGTH} zichtbare tekens); die wordt vastgelegd."
        )
    lock_institution_data(institution)
    report = SignoffReport([], [])
    for unit in _units(institution, college):
        signoff = _signoff(institution, unit, year)
        if signoff.state != SignoffState.APPROVED:
            report.already.append(_label(unit))
            continue
        _step(signoff, "reopen", user, reason)
        report.changed.append(_label(unit))
    if report.changed:
        announce_change(institution=institution, reason=f"jaar {year} heropend")
    return report


def signoff_events(institution: Institution, year: int | None = None):
    """Return the logged sign-off steps of an institution, newest first."""
    events = SignoffEvent.objects.filter(signoff__institution=institution).select_related("signoff__college", "user")
    if year is not None:
        events = events.filter(signoff__year=year)
    return events
