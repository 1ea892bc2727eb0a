"""Writes of what a college does and shows: measures, noticeable evidence and the Q-cycle.

Every write names the colleges the caller may write (`allowed_colleges`, None for all, from
agenda.permissions.writable_colleges) so a director never changes another college's records.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from agenda.models import BudgetYear, College, Indicator, Institution, Team, Theme
from indicatoren.importers import RowError
from maatregelen.choices import ACTION_STATUSES_OPEN, ActionStatus, MeasureStatus, PromiseOrigin, ReviewLevel
from maatregelen.models import (
    ActionFollowUp,
    ActionItem,
    CheckIn,
    Evidence,
    Measure,
    PartnerAgreement,
    Promise,
    Review,
    Spending,
)
from maatregelen.spending_file import SpendingFile
from maatregelen.versions import FIELDS as VERSIONED
from maatregelen.versions import NAMES as VERSION_NAMES
from maatregelen.versions import Read, StaleEdit, lock, reconcile, refuse_stale_delete, token


def _save(record, user) -> None:
    """Validate the record and save it, with `user` in its history."""
    record.full_clean()
    record._history_user = user
    record.save()


def _keyed_save(find, new, changes: dict, seen: Read | None, user, *, before_save=None):
    """Save `changes` to the row stored under a key, or to a new row when none is: a row is replaced, never doubled.

    `find()` returns the stored row of the key (or None), `new()` an unsaved row with the key.
    The stored row is locked and compared with what the writer saw (versions.reconcile); a writer
    that saw no row (a page's new-line form, Read.nothing) and meets one stored meanwhile is
    refused (StaleEdit, naming it) rather than replacing it unseen, also when both insert at the
    same moment: the unique constraint then refuses the later insert, which is compared as if
    found at once. A writer that saw a row which is gone now does not re-create it unseen.
    `seen` None (an API POST, a command): replaced, as the contracts say. `before_save(row)` fills
    in what is not the writer's to compare (a line's creator).
    """

    def stored():
        row = find()
        if row is None:
            return None, changes
        lock(row)
        return row, reconcile(row, changes, seen, existing=seen is not None and seen.saw_nothing)

    row, write = stored()
    if row is None and seen is not None and not seen.saw_nothing and (seen.fields or seen.etag is not None):
        model = type(new())
        raise ValidationError(f"{VERSION_NAMES[model]} is intussen verwijderd; er is niets opgeslagen.", code=GONE)
    if row is None:
        try:
            with transaction.atomic():  # a savepoint: the insert may meet a row stored since the lookup
                return _assign_save(new(), changes, user, before_save)
        except (IntegrityError, ValidationError):
            # Stored by someone else after the lookup: the model's unique check saw it, or the unique
            # index waited for their commit and refused the insert. Any other refusal stands.
            row, write = stored()
            if row is None:
                raise
    return _assign_save(row, write, user, before_save)


GONE = "gone"  # the ValidationError's code when the record the writer saw was deleted since


def _assign_save(row, changes: dict, user, before_save=None):
    """Write the changes to the row and save it (validated, `user` in its history)."""
    for name, value in changes.items():
        setattr(row, name, value)
    if before_save is not None:
        before_save(row)
    _save(row, user)
    return row


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
    public: bool = False,
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
        public=public,
    )
    _save(measure, user)
    measure.indicators.set(indicators)
    return measure


# A field a caller does not give: the stored one, as read under the row lock inside the write's
# transaction (an API PATCH sends only what it changes; the pages never move a record). Never the
# caller's own earlier read, which a save in between would make stale (domain.md, "No lost updates").
KEEP = object()


def _given(**values) -> dict:
    """Return the values a caller gave (not KEEP), text stripped as stored: the only fields a partial write sets."""
    return {
        name: value.strip() if isinstance(value, str) else value for name, value in values.items() if value is not KEEP
    }


@transaction.atomic
def measure_update(
    *,
    measure: Measure,
    theme=KEEP,
    title=KEEP,
    category=KEEP,
    description=KEEP,
    indicators=KEEP,
    planned_budget_cents=KEEP,
    status=KEEP,
    owner=KEEP,
    public=KEEP,
    college=KEEP,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
) -> Measure:
    """Change a measure's given fields (KEEP: as stored); moving it to another college needs rights on both.

    `seen` is what the writer read (maatregelen.versions): a field someone else changed since is
    kept when the writer left it as read, and refused (StaleEdit, nothing saved) when both changed it.
    History keeps the old.
    """
    lock(measure)  # every field not written below is the stored one, not the caller's older copy
    _check_college(allowed_colleges, measure.college)
    changes = _given(
        theme=theme,
        title=title,
        description=description,
        category=category,
        planned_budget_cents=planned_budget_cents,
        status=status,
        owner=owner,
    )
    if indicators is not KEEP:
        changes["indicators"] = list(indicators)
    if public is not KEEP:  # a caller that does not know the flag (an older API client) leaves it
        changes["public"] = bool(public)
    if college is not KEEP:
        _check_college(allowed_colleges, college)
        changes["college"] = college
    changes = reconcile(measure, changes, seen)
    indicators = changes.pop("indicators", None)
    for name, value in changes.items():
        setattr(measure, name, value)
    _check_institution(measure.institution_id, measure.theme, indicators or ())
    _save(measure, user)
    if indicators is not None:
        measure.indicators.set(indicators)
    return measure


@transaction.atomic
def measure_delete(*, measure: Measure, user=None, allowed_colleges=None, seen: Read | None = None) -> None:
    """Delete a measure (history keeps it); refused when `seen` holds an If-Match it no longer matches."""
    lock(measure)
    _check_college(allowed_colleges, measure.college)
    refuse_stale_delete(measure, seen)
    # Spending.measure is PROTECT: realised money stays booked somewhere (agenda ch. 12). Refused in
    # Dutch here, not a ProtectedError (a 500 in the API).
    spent = measure.spendings.count()
    if spent:
        lines = "bestedingsregel" if spent == 1 else "bestedingsregels"
        raise ValidationError(
            f"De maatregel ‘{measure.title}’ heeft {spent} {lines}; verwijder die eerst of boek ze op een andere "
            "maatregel. Er is niets verwijderd."
        )
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
    indicator: Indicator | None = None,
    public: bool = False,
    user=None,
    allowed_colleges=None,
) -> Evidence:
    """Record noticeable evidence (merkbaar) of a college or one of its teams; ROC-wide when no college.

    It hangs on a theme and, when given, on one of the theme's indicators (Evidence.clean checks that).
    """
    _check_college(allowed_colleges, college)
    _check_institution(theme.institution_id, theme, [indicator] if indicator else ())
    _check_team(college, team)
    evidence = Evidence(
        institution_id=theme.institution_id,
        college=college,
        team=team,
        indicator=indicator,
        theme=theme,
        year=year,
        kind=kind,
        title=title.strip(),
        text=text.strip(),
        link=link.strip(),
        public=public,
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
def evidence_update(
    *, evidence: Evidence, user=None, allowed_colleges=None, seen: Read | None = None, **changes
) -> Evidence:
    """Change evidence (theme, indicator, college, team, year, kind, title, text, link, public); rights on old and new college.

    `seen` is what the writer read (maatregelen.versions), as for measure_update.
    """
    lock(evidence)
    _check_college(allowed_colleges, evidence.college)
    if "college" in changes:
        _check_college(allowed_colleges, changes["college"])
    changes = {name: value.strip() if isinstance(value, str) else value for name, value in changes.items()}
    for name, value in reconcile(evidence, changes, seen).items():
        setattr(evidence, name, value)
    _check_institution(evidence.institution_id, evidence.theme, [evidence.indicator] if evidence.indicator else ())
    _check_team(evidence.college, evidence.team)
    _save(evidence, user)
    return evidence


@transaction.atomic
def publication_set(*, record: Measure | Evidence, public: bool, user=None, allowed_colleges=None):
    """Mark a measure or evidence public for partners (/verantwoording/) or take it back (issue 14, item 4).

    The same right as changing the record: its college's director or policy staff (ROC-wide: policy).
    """
    lock(record)  # the save writes every field: the stored ones, not the caller's older copy
    _check_college(allowed_colleges, record.college)
    record.public = bool(public)
    _save(record, user)
    return record


@transaction.atomic
def evidence_delete(*, evidence: Evidence, user=None, allowed_colleges=None, seen: Read | None = None) -> None:
    """Delete evidence (history keeps it); refused when `seen` holds an If-Match it no longer matches."""
    lock(evidence)
    _check_college(allowed_colleges, evidence.college)
    refuse_stale_delete(evidence, seen)
    evidence._history_user = user
    evidence.delete()


def _review_unit(*, institution: Institution | None, college: College | None, team: Team | None):
    """Return (institution, level, college, team) of a review held for a team, a college or the institution."""
    if team is not None:
        if college is not None and team.college_id != college.pk:
            raise ValidationError({"team": f"Team {team.code} hoort niet bij college {college.code}."})
        college = team.college
        return college.institution, ReviewLevel.TEAM, college, team
    if college is not None:
        return college.institution, ReviewLevel.COLLEGE, college, None
    if institution is None:
        raise ValidationError("Een Q-gesprek gaat over een team, een college of de instelling.")
    return institution, ReviewLevel.INSTITUTION, None, None


def _check_review_unique(review: Review) -> None:
    """Raise ValidationError when the same unit already has a Q-review in that quadrimester."""
    others = review.same_unit().filter(year=review.year, quadrimester=review.quadrimester).exclude(pk=review.pk)
    if others.exists():
        raise ValidationError(
            {
                "quadrimester": f"Er is al een Q-gesprek van {review.unit_label} in {review.year} "
                f"Q{review.quadrimester}; wijzig dat gesprek."
            }
        )


def review_writable(allowed_colleges, review: Review) -> bool:
    """Return whether a caller with these writable colleges may write the review (the pages ask this too).

    A team's or college's review is written by who writes the college; the institution's by policy staff.
    """
    return allowed_colleges is None or (review.college_id is not None and review.college_id in allowed_colleges)


def _check_review_write(allowed_colleges, review: Review) -> None:
    """Raise PermissionDenied unless the caller may write the review's unit (institution level: policy staff)."""
    if allowed_colleges is not None and review.college is None:
        raise PermissionDenied("Alleen beleidsmedewerkers mogen Q-gesprekken van de instelling vastleggen.")
    _check_college(allowed_colleges, review.college)


@transaction.atomic
def review_create(
    *,
    year: int,
    quadrimester: int,
    college: College | None = None,
    team: Team | None = None,
    institution: Institution | None = None,
    held_on=None,
    notes: str = "",
    actions: str = "",
    user=None,
    allowed_colleges=None,
) -> Review:
    """Record the Q-review of a team, a college or (no college, no team) the institution in one quadrimester.

    A team's review counts as its college's for rights: a director writes the reviews of the teams of
    their own colleges only. One review per unit, year and quadrimester.
    """
    institution, level, college, team = _review_unit(institution=institution, college=college, team=team)
    review = Review(
        institution=institution,
        level=level,
        college=college,
        team=team,
        year=year,
        quadrimester=quadrimester,
        held_on=held_on,
        notes=notes.strip(),
        actions=actions.strip(),
        created_by=user,
    )
    _check_review_write(allowed_colleges, review)
    _check_review_unique(review)
    _save(review, user)
    return review


@transaction.atomic
def review_update(
    *,
    review: Review,
    year=KEEP,
    quadrimester=KEEP,
    held_on=KEEP,
    notes=KEEP,
    actions=KEEP,
    team=KEEP,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
) -> Review:
    """Change the given fields of a Q-review (KEEP: as stored); its unit stays, but a college's may move to a team.

    `actions` (the old free text) is kept unless given (None too); history keeps the earlier text.
    `seen` is what the writer read (maatregelen.versions), as for measure_update.
    """
    lock(review)
    _check_review_write(allowed_colleges, review)
    changes = _given(year=year, quadrimester=quadrimester, held_on=held_on, notes=notes)
    if actions is not KEEP and actions is not None:
        changes["actions"] = actions.strip()
    if team is not KEEP and review.level != ReviewLevel.INSTITUTION:
        changes["team"] = team
    changes = reconcile(review, changes, seen)
    if "team" in changes:
        _, review.level, review.college, review.team = _review_unit(
            institution=review.institution, college=review.college, team=changes.pop("team")
        )
    for name, value in changes.items():
        setattr(review, name, value)
    _check_review_unique(review)
    _save(review, user)
    return review


@transaction.atomic
def review_delete(*, review: Review, user=None, allowed_colleges=None, seen: Read | None = None) -> None:
    """Delete a Q-review with its actions and check-ins (history keeps them); a stale If-Match in `seen` refuses."""
    lock(review)
    _check_review_write(allowed_colleges, review)
    refuse_stale_delete(review, seen)
    _refuse_followed_up(
        ActionFollowUp.objects.filter(action__review=review),
        "Dit Q-gesprek heeft actiepunten die in een later Q-gesprek zijn opgevolgd",
    )
    review._history_user = user
    review.delete()


def _refuse_followed_up(follow_ups, subject: str) -> None:
    """Raise ValidationError when a delete would take along follow-ups recorded in a later Q-gesprek.

    A follow-up belongs to the later conversation that recorded it (its page and its API list it);
    deleting the earlier action would delete it too (on_delete CASCADE), unseen by that
    conversation (domain.md, "No lost updates"). A mistaken action is dropped instead.
    """
    later = sorted({(f.review.year, f.review.quadrimester) for f in follow_ups.select_related("review")})
    if later:
        where = ", ".join(f"{year} Q{quadrimester}" for year, quadrimester in later)
        if len(later) > 1:
            subject = subject.replace("in een later Q-gesprek", "in latere Q-gesprekken")
        raise ValidationError(
            f"{subject} ({where}); verwijderen zou die opvolging "
            "meenemen. Zet een actiepunt dat niet meer geldt op ‘vervallen’ in plaats van het te verwijderen."
        )


def _check_indicator(review: Review, indicator: Indicator | None) -> None:
    """Raise ValidationError when the indicator is of another institution than the review."""
    if indicator is not None and indicator.institution_id != review.institution_id:
        raise ValidationError({"indicator": "De indicator hoort niet bij deze instelling."})


@transaction.atomic
def action_create(
    *,
    review: Review,
    description: str,
    owner: str = "",
    due_on=None,
    status: str = ActionStatus.OPEN,
    indicator: Indicator | None = None,
    user=None,
    allowed_colleges=None,
) -> ActionItem:
    """Record an action agreed in a Q-review: what, who, by when, optionally for one indicator."""
    _check_review_write(allowed_colleges, review)
    _check_indicator(review, indicator)
    action = ActionItem(
        review=review,
        description=description.strip(),
        owner=owner.strip(),
        due_on=due_on,
        status=status,
        indicator=indicator,
        created_by=user,
    )
    _save(action, user)
    return action


@transaction.atomic
def action_update(
    *, action: ActionItem, user=None, allowed_colleges=None, seen: Read | None = None, **changes
) -> ActionItem:
    """Change an action's description, owner, due date, status or indicator; history keeps the old.

    A field not given is the stored one, read under the row lock: the save writes every column.
    `seen` is what the writer read (a stale If-Match: 412 when it would overwrite a newer value).
    """
    lock(action)
    _check_review_write(allowed_colleges, action.review)
    given = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in changes.items()
        if name in VERSIONED[ActionItem]
    }
    for name, value in reconcile(action, given, seen).items():
        setattr(action, name, value)
    _check_indicator(action.review, action.indicator)
    _save(action, user)
    return action


@transaction.atomic
def action_delete(*, action: ActionItem, user=None, allowed_colleges=None, seen: Read | None = None) -> None:
    """Delete an action recorded by mistake (history keeps it); not one a later Q-gesprek followed up."""
    lock(action)
    _check_review_write(allowed_colleges, action.review)
    refuse_stale_delete(action, seen)
    _refuse_followed_up(action.follow_ups.all(), "Dit actiepunt is in een later Q-gesprek opgevolgd")
    action._history_user = user
    action.delete()


def actions_to_follow_up(review: Review) -> list[ActionItem]:
    """Return the actions a Q-review follows up: earlier actions of the same unit still open, or followed up here.

    Every action that is not done or dropped comes back in each next conversation, so nothing is lost.
    """
    earlier = Q(review__year__lt=review.year) | Q(
        review__year=review.year, review__quadrimester__lt=review.quadrimester
    )
    return list(
        ActionItem.objects.filter(review__in=review.same_unit())
        .filter(earlier)
        .filter(Q(status__in=ACTION_STATUSES_OPEN) | Q(follow_ups__review=review))
        .select_related("review", "indicator")
        .prefetch_related("follow_ups__review")
        .distinct()
        .order_by("review__year", "review__quadrimester", "due_on", "pk")
    )


@transaction.atomic
def action_follow_up(
    *,
    action: ActionItem,
    review: Review,
    status: str,
    note: str = "",
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
    action_seen: Read | None = None,
) -> ActionFollowUp:
    """Record in a later Q-review of the same unit how an earlier action stands; the action takes that status.

    `seen`: the follow-up the page showed (Read.nothing: none), so one recorded or changed since by
    someone else is not replaced unseen. `action_seen`: the action as the page showed it; a status
    changed since (the API, another follow-up) is kept when the user left it as shown, and refused
    when the user chose another (StaleEdit). None (the API's POST): replaced, as the contract says.
    """
    _check_review_write(allowed_colleges, review)
    same_unit = action.review.same_unit().filter(pk=review.pk).exists()
    if not same_unit or action.review.period_key >= review.period_key:
        raise ValidationError(
            {
                "status": "Een actiepunt wordt opgevolgd in een later Q-gesprek van hetzelfde team, college of instelling."
            }
        )
    lock(action)  # the save writes every column: the action as stored now, not as the caller read it
    # The action's status is the latest conversation's: correcting an earlier follow-up (a typo in
    # its note) must not put back a status a later Q-gesprek recorded since.
    later = action.follow_ups.filter(
        Q(review__year__gt=review.year) | Q(review__year=review.year, review__quadrimester__gt=review.quadrimester)
    ).exists()
    if action_seen is not None and not later:
        status = reconcile(action, {"status": status}, action_seen).get("status", action.status)
    follow_up = _keyed_save(
        lambda: ActionFollowUp.objects.filter(action=action, review=review).order_by("pk").first(),
        lambda: ActionFollowUp(action=action, review=review, created_by=user),
        {"status": status, "note": note.strip()},
        seen,
        user,
    )
    if not later:
        action.status = follow_up.status
        _save(action, user)
    return follow_up


@transaction.atomic
def checkin_record(
    *,
    review: Review,
    indicator: Indicator,
    status=KEEP,
    note=KEEP,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
) -> CheckIn:
    """Record how an ambition is doing in a Q-review (op koers, risico, uit koers); a second one replaces it.

    A field not given (an API PATCH of the note alone) is the stored one, read under the row lock.
    `seen`: the check-in the writer saw for this indicator (a page: the one it listed, or
    Read.nothing; the API: If-Match), so one recorded or changed since is not replaced unseen.
    """
    _check_review_write(allowed_colleges, review)
    _check_indicator(review, indicator)
    return _keyed_save(
        # At most one (unique per review and indicator).
        lambda: CheckIn.objects.filter(review=review, indicator=indicator).order_by("pk").first(),
        lambda: CheckIn(review=review, indicator=indicator, created_by=user),
        _given(status=status, note=note),
        seen,
        user,
    )


@transaction.atomic
def checkin_delete(*, check_in: CheckIn, user=None, allowed_colleges=None, seen: Read | None = None) -> None:
    """Delete a check-in recorded by mistake (history keeps it); refused when it changed since `seen`."""
    lock(check_in)
    _check_review_write(allowed_colleges, check_in.review)
    refuse_stale_delete(check_in, seen)
    check_in._history_user = user
    check_in.delete()


# --- Realised spending and the manifesto's model (issue 14) -------------------------------------


def _check_policy(allowed_colleges) -> None:
    """Raise PermissionDenied unless the caller writes for every college (policy staff)."""
    if allowed_colleges is not None:
        raise PermissionDenied("Alleen beleidsmedewerkers mogen dit wijzigen.")


def _check_year(institution: Institution, year: int) -> None:
    """Raise ValidationError unless `year` lies in the agenda's period."""
    if not institution.period_start <= year <= institution.period_end:
        raise ValidationError(
            {"year": f"Het jaar ligt in de periode {institution.period_start}-{institution.period_end}."}
        )


def _spending_key(*, year: int, theme: Theme, college: College | None, measure: Measure | None):
    """Return the spending row with this key (year, theme, college, measure), or None."""
    return Spending.objects.filter(year=year, theme=theme, college=college, measure=measure).first()


@transaction.atomic
def spending_record(
    *,
    institution: Institution,
    year: int,
    theme: Theme,
    college: College | None,
    measure: Measure | None,
    amount_cents: int,
    note: str = "",
    spending: Spending | None = None,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
) -> Spending:
    """Record realised spending; the row with the same year, theme, college and measure is replaced, never doubled.

    A director records their own colleges' spending; ROC-wide spending (college None) is for policy
    staff. With `spending` given that row is changed (its old and new college must both be writable).
    `seen` is what the writer read (maatregelen.versions), as for measure_update: a field someone
    else changed since is kept when the writer left it as read, and refused (StaleEdit) when both
    changed it. A page that offered a new line saw none (Read.nothing): a line stored meanwhile
    under the same key is then refused, naming its values, instead of replaced unseen. `seen` None
    (the API's POST, a file, a command): replaced, as contracts-extensions.md says.
    """
    _check_college(allowed_colleges, college)
    _check_year(institution, year)
    if amount_cents is None or amount_cents < 0:
        raise ValidationError({"amount_cents": "Een besteding is nul of groter; corrigeer een te hoog bedrag."})
    changes = {
        "year": year,
        "theme": theme,
        "college": college,
        "measure": measure,
        "amount_cents": amount_cents,
        "note": note.strip(),
    }
    if spending is None:
        # A file's preview saw a line under this key that may be gone now: not re-created unseen.
        return _keyed_save(
            lambda: _spending_key(**{name: changes[name] for name in SPENDING_KEY}),
            lambda: Spending(institution=institution),
            changes,
            seen,
            user,
            before_save=_creator(user),
        )
    lock(spending)  # every field not written below is the stored one, not the caller's older copy
    _check_college(allowed_colleges, spending.college)
    changes = reconcile(spending, changes, seen)
    existing = _spending_key(**{name: changes.get(name, getattr(spending, name)) for name in SPENDING_KEY})
    if existing is not None and existing.pk != spending.pk:
        raise ValidationError({"measure": "Voor deze combinatie is in dit jaar al een besteding vastgelegd."})
    return _assign_save(spending, changes, user, _creator(user))


def _creator(user):
    """Return what names a line's creator: the first user who records it (also a line a command stored without one)."""

    def fill(spending: Spending) -> None:
        if spending.created_by_id is None:
            spending.created_by = user

    return fill


SPENDING_KEY = ("year", "theme", "college", "measure")
SPENDING_FIELDS = VERSIONED[Spending]


@transaction.atomic
def spending_update(
    *, spending: Spending, user=None, allowed_colleges=None, seen: Read | None = None, **changes
) -> Spending:
    """Change the given fields of a spending row (an API PATCH); the others are the stored ones, read under the lock.

    domain.md, "No lost updates": a field the caller did not send is never written back from its
    own earlier read, so a change someone saved to it in between stays; a stale If-Match in `seen`
    refuses (412). The rules are spending_record's.
    """
    unknown = set(changes) - set(SPENDING_FIELDS)
    if unknown:
        raise TypeError(f"unknown spending fields: {sorted(unknown)}")
    lock(spending)
    stored = {name: getattr(spending, name) for name in SPENDING_FIELDS}
    return spending_record(
        institution=spending.institution,
        spending=spending,
        **{**stored, **changes},
        user=user,
        allowed_colleges=allowed_colleges,
        seen=seen,
    )


@transaction.atomic
def spending_delete(*, spending: Spending, user=None, allowed_colleges=None, seen: Read | None = None) -> None:
    """Delete a spending row (a director: only their own colleges'); refused when it changed since `seen`."""
    lock(spending)
    _check_college(allowed_colleges, spending.college)
    refuse_stale_delete(spending, seen)
    spending._history_user = user
    spending.delete()


@dataclass
class SpendingImport:
    """What a spending file does: one line per row (new, changed or unchanged) or the errors that refuse it."""

    lines: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    versions: dict[int, str] = field(default_factory=dict)  # per row: the stored line's version ("" for none)

    @property
    def counts(self) -> dict[str, int]:
        """Return how many rows are new, changed and unchanged."""
        counts = {"nieuw": 0, "gewijzigd": 0, "ongewijzigd": 0}
        for line in self.lines:
            counts[line["action"]] += 1
        return counts


def _find_measure(measures: list[Measure], text: str, theme: Theme, college: College | None):
    """Return (measure, error) for the file's 'maatregel' cell: an id number or the exact title within the theme."""
    if not text:
        return None, None
    matches = [
        m
        for m in measures
        if (str(m.pk) == text or m.title.casefold() == text.casefold())
        and m.theme_id == theme.pk
        and (college is None or m.college_id in (None, college.pk))
    ]
    if len(matches) == 1:
        measure = matches[0]
        if measure.college_id is not None and college is None:
            return None, f"De maatregel '{measure.title}' hoort bij college {measure.college.code}; vul dat college in"
        return measure, None
    if len(matches) > 1:
        return None, f"Meer maatregelen heten '{text}'; gebruik het nummer van de maatregel"
    other = next((m for m in measures if str(m.pk) == text or m.title.casefold() == text.casefold()), None)
    if other is not None and other.theme_id != theme.pk:
        return None, f"De maatregel '{other.title}' hoort bij thema {other.theme.code}, niet bij {theme.code}"
    if other is not None:
        return None, f"De maatregel '{other.title}' hoort bij college {other.college.code}"
    return None, f"Onbekende maatregel '{text}' bij thema {theme.code}"


def spendings_import(
    *,
    institution: Institution,
    parsed: SpendingFile,
    dry_run: bool,
    user=None,
    allowed_colleges=None,
    previewed: dict[int, str] | None = None,
) -> SpendingImport:
    """Check a read spending file against the agenda and, unless `dry_run` or any row is wrong, record every row.

    All or nothing (like the benchmark upload): one wrong row refuses the file, each error named by
    row and column in Dutch. A row with the same year, theme, college and measure as a stored one
    replaces its amount, so uploading the same file twice changes nothing.
    `previewed` ({row: version of the stored line the preview showed, "" for none}, the result's
    `versions`): domain.md, "No lost updates": a line changed or recorded since the preview is
    not replaced unseen; the confirmation is refused naming it (spending_record compares, locked).
    """
    result = SpendingImport(errors=list(parsed.errors))
    if result.errors:
        return result
    themes = {t.code.casefold(): t for t in Theme.objects.filter(institution=institution)}
    themes.update({t.name.casefold(): t for t in themes.values() if t.name.casefold() not in themes})
    colleges = {c.code.casefold(): c for c in College.objects.filter(institution=institution)}
    measures = list(Measure.objects.filter(institution=institution).select_related("theme", "college"))
    seen: dict[tuple, int] = {}
    planned = []
    for row in parsed.rows:
        number = row["row"]
        theme = themes.get(row["theme"].casefold())
        if theme is None:
            result.errors.append(RowError(number, "thema", row["theme"], f"Onbekend thema '{row['theme']}'"))
            continue
        college_text = row["college"]
        college = None
        if college_text and college_text.casefold() not in ("roc-breed", "roc breed", "-"):
            college = colleges.get(college_text.casefold())
            if college is None:
                result.errors.append(RowError(number, "college", college_text, f"Onbekend college '{college_text}'"))
                continue
        if not institution.period_start <= row["year"] <= institution.period_end:
            result.errors.append(
                RowError(
                    number,
                    "jaar",
                    str(row["year"]),
                    f"Het jaar ligt buiten de periode {institution.period_start}-{institution.period_end}",
                )
            )
            continue
        if allowed_colleges is not None and (college is None or college.pk not in allowed_colleges):
            unit = f"college {college.code}" if college else "ROC-brede bestedingen"
            result.errors.append(RowError(number, "college", college_text, f"Geen rechten voor {unit}"))
            continue
        measure, message = _find_measure(measures, row["measure"], theme, college)
        if message:
            result.errors.append(RowError(number, "maatregel", row["measure"], message))
            continue
        key = (row["year"], theme.pk, college.pk if college else None, measure.pk if measure else None)
        if key in seen:
            result.errors.append(
                RowError(number, None, None, f"Dezelfde besteding staat ook op regel {seen[key]}; tel ze samen")
            )
            continue
        seen[key] = number
        planned.append((row, theme, college, measure))
    if result.errors:
        return result
    for row, theme, college, measure in planned:
        existing = _spending_key(year=row["year"], theme=theme, college=college, measure=measure)
        old = existing.amount_cents if existing else None
        action = "nieuw" if existing is None else ("ongewijzigd" if old == row["cents"] else "gewijzigd")
        result.versions[row["row"]] = token(existing) if existing else ""
        result.lines.append(
            {
                "row": row["row"],
                "year": row["year"],
                "theme": theme.code,
                "college": college.code if college else None,
                "measure": measure.title if measure else "",
                "old_cents": old,
                "cents": row["cents"],
                "action": action,
            }
        )
    if dry_run:
        return result
    try:
        with transaction.atomic():
            for row, theme, college, measure in planned:
                spending_record(
                    institution=institution,
                    year=row["year"],
                    theme=theme,
                    college=college,
                    measure=measure,
                    amount_cents=row["cents"],
                    note=row["note"] or "",
                    user=user,
                    allowed_colleges=allowed_colleges,
                    seen=None if previewed is None else _previewed_read(previewed.get(row["row"], "")),
                )
    except StaleEdit as exc:  # nothing is saved: the whole file rolls back
        result.errors.append(RowError(row["row"], None, None, " ".join([exc.summary, *exc.lines])))
        return result
    except ValidationError as exc:  # changed since the preview in another way (deleted, a rule): the same
        result.errors.append(RowError(row["row"], None, None, " ".join(exc.messages)))
        return result
    result.applied = True
    return result


def _previewed_read(version: str) -> Read:
    """Return what a file's preview showed of a row's line: its version, or no line ("")."""
    return Read.from_token(version, Spending) if version else Read.nothing(Spending)


@transaction.atomic
def lumpsum_set(
    *,
    budget_year: BudgetYear,
    lumpsum_total_cents: int | None,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
):
    """Set (or clear, with None) the year's total lumpsum; policy staff only. It moves no verdict or budget cent.

    `seen`: the lumpsum as the writer's page showed it (maatregelen.versions): a lumpsum someone
    changed since to another value is refused (StaleEdit), not overwritten unseen.
    """
    _check_policy(allowed_colleges)
    # The save writes every column, the year's total and percentages too: from the row as locked
    # now, so a change saved since the page read it is not put back (domain.md, "No lost updates").
    lock(budget_year)
    for name, value in reconcile(budget_year, {"lumpsum_total_cents": lumpsum_total_cents}, seen).items():
        setattr(budget_year, name, value)
    _save(budget_year, user)
    return budget_year


# What a page writes of a promise is versioned (maatregelen.versions); its position only by a command.
PROMISE_FIELDS = (*VERSIONED[Promise], "position")


@transaction.atomic
def promise_save(
    *,
    institution: Institution,
    record: Promise | None = None,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
    **values,
) -> Promise:
    """Create or change a promise (belofte) of the manifesto's model; policy staff only.

    `seen` is what the writer read (maatregelen.versions), as for measure_update.
    """
    _check_policy(allowed_colleges)
    unknown = set(values) - set(PROMISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown promise fields: {sorted(unknown)}")
    if record is not None:
        lock(record)  # a field not given is the stored one, not the caller's older copy
        values = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
        values = reconcile(record, values, seen)
    theme = values.get("theme", getattr(record, "theme", None))
    if theme is not None:
        _check_institution(institution.pk, theme)
    promise = record or Promise(institution=institution, origin=PromiseOrigin.BOTH)
    if promise.institution_id != institution.pk:
        raise PermissionDenied("Deze belofte hoort bij een andere instelling.")
    for name, value in values.items():
        setattr(promise, name, value.strip() if isinstance(value, str) else value)
    _save(promise, user)
    return promise


@transaction.atomic
def promise_delete(
    *,
    promise: Promise,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
    partners_seen: set[int] | None = None,
) -> None:
    """Delete a promise with its partner agreements; policy staff only; refused when it changed since `seen`.

    `partners_seen`: the agreements the page listed with it. The delete takes its agreements along,
    so one recorded since would be deleted unseen (domain.md, "No lost updates"): refused, named.
    """
    _check_policy(allowed_colleges)
    lock(promise)
    refuse_stale_delete(promise, seen)
    if partners_seen is not None:
        added = list(
            promise.partners.exclude(pk__in=partners_seen).order_by("partner").values_list("partner", flat=True)
        )
        if added:
            line = f"Partnerafspraken: intussen vastgelegd met {', '.join(added)}; die zouden worden meeverwijderd."
            raise StaleEdit(promise, {"partners": None}, {}, http_status=409, deleting=True, lines=[line])
    promise._history_user = user
    promise.delete()


@transaction.atomic
def partner_agreement_save(
    *,
    promise: Promise,
    partner: str,
    agreement: str = "",
    agreed_on=None,
    regional_deal: bool = False,
    agreement_row: PartnerAgreement | None = None,
    user=None,
    allowed_colleges=None,
    seen: Read | None = None,
) -> PartnerAgreement:
    """Record what was agreed with a partner for a promise, and when; policy staff only.

    Changing a stored agreement compares with what the writer saw (`seen`, maatregelen.versions).
    """
    _check_policy(allowed_colleges)
    row = agreement_row or PartnerAgreement(promise=promise)
    if row.promise_id != promise.pk:
        raise ValidationError({"promise": "Deze afspraak hoort bij een andere belofte."})
    changes = {
        "partner": partner.strip(),
        "agreement": agreement.strip(),
        "agreed_on": agreed_on,
        "regional_deal": regional_deal,
    }
    if row.pk is not None:
        lock(row)
        changes = reconcile(row, changes, seen)
    return _assign_save(row, changes, user)


@transaction.atomic
def partner_agreement_delete(
    *, agreement_row: PartnerAgreement, user=None, allowed_colleges=None, seen: Read | None = None
) -> None:
    """Delete a partner agreement; policy staff only; refused when it changed since `seen` (its delete button's)."""
    _check_policy(allowed_colleges)
    lock(agreement_row)
    refuse_stale_delete(agreement_row, seen)
    agreement_row._history_user = user
    agreement_row.delete()
