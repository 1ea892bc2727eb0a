"""Template context for every page: the user's institution, role and the recompute state."""

from agenda.models import College
from agenda.permissions import current_institution, is_policy, membership, value_write_scope
from rapportage.selectors import last_run, stale_run


def navigation(request) -> dict:
    """Return what the page header needs: institution, role flags, own colleges, recompute state and staleness."""
    user = request.user
    if not user.is_authenticated:
        return {}
    institution = current_institution(user)
    if institution is None:
        return {"nav_institution": None}
    m = membership(user, institution)
    # The colleges whose values the user enters: a director's, or those of a teamleider's teams.
    writable = value_write_scope(user, institution)["allowed_colleges"]
    return {
        "nav_institution": institution,
        "nav_role": m.get_role_display() if m else ("beheerder" if user.is_superuser else ""),
        "nav_role_code": m.role if m else "",
        "nav_policy": is_policy(user, institution),
        "nav_own_colleges": list(College.objects.filter(pk__in=writable).order_by("code")) if m and writable else [],
        "nav_last_run": last_run(institution),
        # A failed recompute leaves the stored results stale: every page says so (domain.md).
        "nav_stale_run": stale_run(institution),
    }
