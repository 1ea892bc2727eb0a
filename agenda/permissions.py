"""Who may read and write what (issue: roles enforced on the server for every page and endpoint).

bestuur reads everything of its institution; a directeur reads everything and writes only
for their own colleges; a teamleider reads like a director and writes only the values (and
their notes) of its own teams, which its director then submits (issue 15); beleid writes
everything (agenda, ambitions, uploads); an api client reads, and writes like a director or
policy staff only when granted api_write; a partner reads only the curated public view
(can_read_public), never a figure page, an export or the API.
"""

from django.core.exceptions import PermissionDenied

from agenda.choices import Role
from agenda.models import College, Institution, Membership, Team


def membership(user, institution: Institution | None = None) -> Membership | None:
    """Return the user's membership (in `institution`, else the first), cached on the user."""
    if not user or not user.is_authenticated:
        return None
    cache = getattr(user, "_memberships", None)
    if cache is None:
        cache = list(Membership.objects.filter(user=user).select_related("institution"))
        user._memberships = cache
    for m in cache:
        if institution is None or m.institution_id == institution.pk:
            return m
    return None


def _college_ids(m: Membership) -> set[int]:
    """Return the ids of the membership's colleges, read once per request (reads never need them)."""
    if not hasattr(m, "_college_ids"):
        m._college_ids = set(m.colleges.values_list("pk", flat=True))
    return m._college_ids


def _team_ids(m: Membership) -> set[int]:
    """Return the ids of a teamleider's teams within its own institution, read once per request."""
    if not hasattr(m, "_team_ids"):
        m._team_ids = set(m.teams.filter(institution_id=m.institution_id).values_list("pk", flat=True))
    return m._team_ids


def current_institution(user) -> Institution | None:
    """Return the institution the user works in (superusers without a role: the first one)."""
    m = membership(user)
    if m is not None:
        return m.institution
    if user.is_authenticated and user.is_superuser:
        return Institution.objects.order_by("code").first()
    return None


def can_read(user, institution: Institution) -> bool:
    """Return whether the user may read the institution's figures.

    A partner never does (issue 14, item 4): team values, college figures and unpublished
    measures are the school's own; a partner reads the curated view only (can_read_public).
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    m = membership(user, institution)
    return bool(m and m.role != Role.PARTNER)


# The roles that read the curated public view: partners, and those who answer for it.
PUBLIC_READERS = frozenset({Role.PARTNER, Role.BOARD, Role.POLICY, Role.DIRECTOR})


def is_partner(user, institution: Institution | None = None) -> bool:
    """Return whether the user's role (in `institution`, else the first) is partner."""
    m = membership(user, institution)
    return bool(m and m.role == Role.PARTNER)


def partner_only(user) -> bool:
    """Return whether every role of the user is partner: such an account reads no figure anywhere, the API included."""
    if not user.is_authenticated or user.is_superuser:
        return False
    membership(user)  # fills the cache
    roles = {m.role for m in user._memberships}
    return roles == {Role.PARTNER}


def can_read_public(user, institution: Institution) -> bool:
    """Return whether the user may read the institution's curated public view (/verantwoording/)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    m = membership(user, institution)
    return bool(m and m.role in PUBLIC_READERS)


def is_policy(user, institution: Institution) -> bool:
    """Return whether the user maintains the agenda and uploads data (beleid)."""
    if user.is_authenticated and user.is_superuser:
        return True
    m = membership(user, institution)
    return bool(m and (m.role == Role.POLICY or (m.role == Role.API and m.api_write and not _college_ids(m))))


def writable_colleges(user, institution: Institution) -> set[int] | None:
    """Return the ids of the colleges the user may write, or None for all of them."""
    if is_policy(user, institution):
        return None
    m = membership(user, institution)
    if m is None:
        return set()
    if m.role == Role.DIRECTOR or (m.role == Role.API and m.api_write):
        return set(_college_ids(m))
    return set()


def writable_teams(user, institution: Institution) -> set[int] | None:
    """Return the ids of the teams whose values the user may write, or None: every team of its colleges.

    Only a teamleider is limited to teams; it writes no college-level values, teams, measures or
    reviews (writable_colleges is empty for it), and does not submit the year.
    """
    if is_policy(user, institution):
        return None
    m = membership(user, institution)
    if m is not None and m.role == Role.TEAM_LEADER:
        return set(_team_ids(m))
    return None


def value_write_scope(user, institution: Institution) -> dict:
    """Return the scope keywords of the value write service (indicatoren.services.measurements_apply) for the user.

    The service refuses every row outside it: `allowed_colleges` (None: all) and `allowed_teams`
    (None: every team of those colleges).
    """
    teams = writable_teams(user, institution)
    if teams is None:
        return {"allowed_colleges": writable_colleges(user, institution), "allowed_teams": None}
    colleges = set(Team.objects.filter(pk__in=teams).values_list("college_id", flat=True))
    return {"allowed_colleges": colleges, "allowed_teams": teams}


def can_write_values(user, college: College) -> bool:
    """Return whether the user may write some of the college's values (its director, its teams' leaders)."""
    allowed = value_write_scope(user, college.institution)["allowed_colleges"]
    return allowed is None or college.pk in allowed


def can_write_team_values(user, team: Team) -> bool:
    """Return whether the user may write the team's values (and the notes on them)."""
    scope = value_write_scope(user, team.institution)
    colleges, teams = scope["allowed_colleges"], scope["allowed_teams"]
    return (colleges is None or team.college_id in colleges) and (teams is None or team.pk in teams)


def can_write_college(user, college: College) -> bool:
    """Return whether the user may write the college's teams, values, measures and reviews."""
    allowed = writable_colleges(user, college.institution)
    return allowed is None or college.pk in allowed


def require_read(user, institution: Institution) -> None:
    """Raise PermissionDenied unless the user may read the institution."""
    if not can_read(user, institution):
        raise PermissionDenied("Geen toegang tot deze instelling.")


def require_read_public(user, institution: Institution) -> None:
    """Raise PermissionDenied unless the user may read the institution's curated public view."""
    if not can_read_public(user, institution):
        raise PermissionDenied("Geen toegang tot de verantwoording van deze instelling.")


def require_college_write(user, college: College) -> None:
    """Raise PermissionDenied unless the user may write for the college."""
    if not can_write_college(user, college):
        raise PermissionDenied(f"Geen schrijfrechten voor college {college.code}.")


def require_value_write(user, college: College) -> None:
    """Raise PermissionDenied unless the user may write some of the college's values."""
    if not can_write_values(user, college):
        raise PermissionDenied(f"Geen schrijfrechten voor de resultaten van college {college.code}.")


def require_policy(user, institution: Institution) -> None:
    """Raise PermissionDenied unless the user is policy staff of the institution."""
    if not is_policy(user, institution):
        raise PermissionDenied("Alleen beleidsmedewerkers mogen dit.")


def report_colleges(user, institution: Institution) -> set[int] | None:
    """Return the ids of the colleges a mailed report covers for the user, or None for the whole institution.

    A director reads every page, but the mail they subscribe to is about their own colleges (issue
    14, item 5); a teamleider's about its teams' colleges. The board, policy staff, api clients and
    superusers get the whole institution.
    """
    if user.is_superuser:
        return None
    m = membership(user, institution)
    if m is None or m.role == Role.PARTNER:  # a partner reads no board pack (issue 14, item 4)
        return set()
    if m.role == Role.DIRECTOR:
        return set(_college_ids(m))
    if m.role == Role.TEAM_LEADER:
        return set(Team.objects.filter(pk__in=_team_ids(m)).values_list("college_id", flat=True))
    return None


def can_download_documents(user, institution: Institution) -> bool:
    """Return whether the user may generate the documents the board signs (annual report, mid-term pack).

    The board and policy staff (issue 14, item 3); a director reads pages but signs nothing.
    """
    if user.is_authenticated and user.is_superuser:
        return True
    m = membership(user, institution)
    return bool(m and m.role in (Role.BOARD, Role.POLICY))
