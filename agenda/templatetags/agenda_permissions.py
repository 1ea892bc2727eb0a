"""Template helpers for permissions: pages offer only the actions the user may take (issue 15, item 7).

They call agenda.permissions, the one home of who may write what; the views still refuse on their own.
"""

from django import template

from agenda import permissions

register = template.Library()


@register.filter
def can_write(user, college) -> bool:
    """Return whether the user may write for the college (its values, teams, measures and reviews)."""
    return bool(college is not None and permissions.can_write_college(user, college))


@register.filter
def can_write_values(user, college) -> bool:
    """Return whether the user may write some of the college's values (its director, a teamleider of its teams)."""
    return bool(college is not None and permissions.can_write_values(user, college))
