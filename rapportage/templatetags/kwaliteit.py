"""Template helpers: verdict badges (word + colour), Dutch numbers and euro amounts."""

from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()

WORDS = {True: ("met", "behaald"), False: ("notmet", "niet behaald"), None: ("none", "geen oordeel")}
COLLEGE_WORDS = {True: ("met", "gehaald"), False: ("notmet", "niet gehaald"), None: ("none", "geen oordeel")}
TEAM_WORDS = {True: ("met", "droeg bij"), False: ("notmet", "droeg niet bij"), None: ("none", "–")}


@register.filter
def verdict(attained, kind="indicator"):
    """Return a badge with a word and a colour for a verdict (never colour alone)."""
    table = {"college": COLLEGE_WORDS, "team": TEAM_WORDS}.get(kind, WORDS)
    css, word = table[attained if attained in (True, False) else None]
    return format_html('<span class="verdict {}">{}</span>', css, word)


@register.filter
def nl(value, places=None):
    """Return a number with a decimal comma; None becomes a dash."""
    if value is None or value == "":
        return "–"
    number = Decimal(str(value))
    if places not in (None, ""):
        number = number.quantize(Decimal(1).scaleb(-int(places)))
    text = f"{number:f}"
    if "." in text and places in (None, ""):
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


@register.filter
def euro(cents):
    """Return integer cents as a Dutch euro amount (€ 1.234.567,89)."""
    if cents is None:
        return "–"
    whole, rest = divmod(int(cents), 100)
    return f"€ {whole:,}".replace(",", ".") + f",{rest:02d}"


@register.filter
def ambition_words(status):
    """Return the ambition of a STATUS in words."""
    kind = status.get("ambition_type")
    if kind == "target":
        return f"streefcijfer {nl(status.get('target'))}"
    if kind == "improve":
        return "verbeteren t.o.v. nulmeting"
    if kind == "maintain":
        tol = status.get("tolerance")
        return "behoud" + (f" (marge {nl(tol)})" if tol else "")
    return "monitoren"
