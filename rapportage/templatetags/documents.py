"""Template helper: whether the page may offer the board's documents (agenda.permissions decides)."""

from django import template

from agenda.permissions import can_download_documents

register = template.Library()


@register.simple_tag(takes_context=True)
def documents_allowed(context) -> bool:
    """Return whether the signed-in user may generate the annual report and the mid-term pack."""
    institution = context.get("nav_institution")
    request = context.get("request")
    return bool(institution and request and can_download_documents(request.user, institution))
