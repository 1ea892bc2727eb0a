"""Writes of what a college does and shows: measures, noticeable evidence and Q-reviews.

Every write names the colleges the caller may write (`allowed_colleges`, None for all, from
agenda.permissions.writable_colleges) so a director never changes another college's records.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agenda.models import College, Team, Theme
from maatregelen.choices import MeasureStatus
from maatregelen.models import Evidence, Measure, Review


def _save(record, user) -> None:
    """Validate the record and save it, with `user` in its history."""
    record.full_clean()
    record._history_user = user
    record.save()


def _check_college(allowed_colleges, college: College | None) -> None:
    """Raise PermissionDenied unless the caller may write for `college` (None: ROC-wide, policy only)."""
    if allowed_colleges is None:
        return
    if college is None:
        raise PermissionDenied("Alleen beleidsmedewerkers mogen ROC-brede gegevens wijzigen.")
    if college.pk not in allowed_colleges:
        raise PermissionDenied(f"Geen rechten voor college {college.code}.")


def _check_institution(institution_id: int, theme: Theme, indicators=()) -> None:
    """Raise ValidationError when the theme or an indicator belongs to another institution."""
    if theme.institution_id != institution_id:
        raise ValidationError({"theme": "Het thema hoort niet bij deze instelling."})
    if any(indicator.institution_id != institution_id for indicator in indicators):
        raise ValidationError({"indicators": "Een indicator hoort niet bij deze instelling."})


@transaction.atomic
def measure_create(
    *,
    college: College | None,
    theme: Theme,
    title: str,
    category: str,
    description: str = "",
    indicators=(),
    planned_budget_cents: int = 0,
    status: str = MeasureStatus.PLANNED,
    owner: str = "",
    user=None,
    allowed_colleges=None,
) -> Measure:
    """Create a measure of a college, or ROC-wide when `college` is None (policy staff only)."""
    _check_college(allowed_colleges, college)
    _check_institution(theme.institution_id, theme, indicators)
    if college is not None and college.institution_id != theme.institution_id:
        raise ValidationError({"college": "Het college hoort niet bij deze instelling."})
    measure = Measure(
        institution_id=theme.institution_id,
        college=college,
        theme=theme,
        title=title.strip(),
        description=description.strip(),
        category=category,
        planned_budget_cents=planned_budget_cents,
        status=status,
        owner=owner.strip(),
    )
    _save(measure, user)
    measure.indicators.set(indicators)
    return measure


KEEP = object()  # "leave the college as it is" (the pages never move a record)


@transaction.atomic
def measure_update(
    *,
    measure: Measure,
    theme: Theme,
    title: str,
    category: str,
    description: str = "",
    indicators=(),
    planned_budget_cents: int = 0,
    status: str = MeasureStatus.PLANNED,
    owner: str = "",
    college=KEEP,
    user=None,
    allowed_colleges=None,
) -> Measure:
    """Change a measure; moving it to another college needs rights on both; history keeps the old."""
    _check_college(allowed_colleges, measure.college)
    if college is not KEEP:
        _check_college(allowed_colleges, college)
        measure.college = college
    _check_institution(measure.institution_id, theme, indicators)
    measure.theme = theme
    measure.title = title.strip()
    measure.description = description.strip()
    measure.category = category
    measure.planned_budget_cents = planned_budget_cents
    measure.status = status
    measure.owner = owner.strip()
    _save(measure, user)
    measure.indicators.set(indicators)
    return measure


@transaction.atomic
def measure_delete(*, measure: Measure, user=None, allowed_colleges=None) -> None:
    """Delete a measure (history keeps it)."""
    _check_college(allowed_colleges, measure.college)
    measure._history_user = user
    measure.delete()


@transaction.atomic
def evidence_create(
    *,
    college: College | None,
    theme: Theme,
    year: int,
    kind: str,
    title: str,
    text: str = "",
    link: str = "",
    team: Team | None = None,
    user=None,
    allowed_colleges=None,
) -> Evidence:
    """Record noticeable evidence (merkbaar) of a college or one of its teams; ROC-wide when no college."""
    _check_college(allowed_colleges, college)
    _check_institution(theme.institution_id, theme)
    _check_team(college, team)
    evidence = Evidence(
        institution_id=theme.institution_id,
        college=college,
        team=team,
        theme=theme,
        year=year,
        kind=kind,
        title=title.strip(),
        text=text.strip(),
        link=link.strip(),
        created_by=user,
    )
    _save(evidence, user)
    return evidence


def _check_team(college: College | None, team: Team | None) -> None:
    """Raise ValidationError when the team is not one of the college's."""
    if team is not None and (college is None or team.college_id != college.pk):
        where = f"college {college.code}" if college else "een ROC-breed bewijs"
        raise ValidationError({"team": f"Team {team.code} hoort niet bij {where}."})


@transaction.atomic
def evidence_update(*, evidence: Evidence, user=None, allowed_colleges=None, **changes) -> Evidence:
    """Change evidence (theme, college, team, year, kind, title, text, link); rights on old and new college."""
    _check_college(allowed_colleges, evidence.college)
    if "college" in changes:
        _check_college(allowed_colleges, changes["college"])
    for name, value in changes.items():
        setattr(evidence, name, value.strip() if isinstance(value, str) else value)
    _check_institution(evidence.institution_id, evidence.theme)
    _check_team(evidence.college, evidence.team)
    _save(evidence, user)
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence, user=None, allowed_colleges=None) -> None:
    """Delete evidence (history keeps it)."""
    _check_college(allowed_colleges, evidence.college)
    evidence._history_user = user
    evidence.delete()


def _check_review_unique(college: College, year: int, quadrimester: int, exclude_pk=None) -> None:
    """Raise ValidationError when the college already has a Q-review in that quadrimester."""
    others = Review.objects.filter(college=college, year=year, quadrimester=quadrimester).exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError(
            {
                "quadrimester": f"Er is al een Q-gesprek van {college.code} in {year} Q{quadrimester}; wijzig dat gesprek."
            }
        )


@transaction.atomic
def review_create(
    *,
    college: College,
    year: int,
    quadrimester: int,
    held_on=None,
    notes: str = "",
    actions: str = "",
    user=None,
    allowed_colleges=None,
) -> Review:
    """Record the Q-review of a college in one quadrimester (one per college, year and quadrimester)."""
    _check_college(allowed_colleges, college)
    _check_review_unique(college, year, quadrimester)
    review = Review(
        college=college,
        year=year,
        quadrimester=quadrimester,
        held_on=held_on,
        notes=notes.strip(),
        actions=actions.strip(),
        created_by=user,
    )
    _save(review, user)
    return review


@transaction.atomic
def review_update(
    *,
    review: Review,
    year: int,
    quadrimester: int,
    held_on=None,
    notes: str = "",
    actions: str = "",
    user=None,
    allowed_colleges=None,
) -> Review:
    """Change the notes and agreed actions of a Q-review; history keeps the earlier text."""
    _check_college(allowed_colleges, review.college)
    _check_review_unique(review.college, year, quadrimester, exclude_pk=review.pk)
    review.year = year
    review.quadrimester = quadrimester
    review.held_on = held_on
    review.notes = notes.strip()
    review.actions = actions.strip()
    _save(review, user)
    return review
