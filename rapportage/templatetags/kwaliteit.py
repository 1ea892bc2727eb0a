"""Template helpers: verdict badges (word + colour), Dutch numbers and euro amounts.

The words come from rapportage.engine.words (their one home); these filters only dress them in HTML.
"""

from decimal import ROUND_HALF_EVEN, Decimal

from django import template
from django.utils.html import format_html

from kern import rules
from rapportage.charts import euro_short
from rapportage.engine import words
from rapportage.engine.words import nl_number

register = template.Library()

VERDICT_CLASS = {True: "met", False: "notmet", None: "none"}


@register.filter
def verdict_class(attained):
    """Return the CSS class of a verdict (met, notmet, none)."""
    return VERDICT_CLASS[words.verdict_key(attained)]


@register.filter
def verdict(attained, kind="indicator"):
    """Return a badge with a word and a colour for a verdict (never colour alone)."""
    return format_html(
        '<span class="verdict {}">{}</span>', verdict_class(attained), words.verdict_word(attained, kind)
    )


@register.filter
def verdict_text(attained, kind="indicator"):
    """Return the mark and the word of a verdict ("✓ behaald")."""
    return words.verdict_text(attained, kind)


@register.filter
def verdict_cell(attained, kind="college"):
    """Return a matrix cell's mark, with the word for screen readers ("✓" + " gehaald")."""
    key = words.verdict_key(attained)
    return format_html('{}<span class="visually-hidden"> {}</span>', words.MARKS[key], words.verdict_word(key, kind))


@register.simple_tag
def verdict_legend(kind="indicator"):
    """Return every mark with its word ("✓ gehaald · ✗ niet gehaald · – geen oordeel")."""
    return words.verdict_legend(kind)


@register.filter
def nl(value, places=None):
    """Return a number with a decimal comma; None becomes a dash."""
    if value is None or value == "":
        return "–"
    return nl_number(Decimal(str(value)), None if places in (None, "") else int(places))


@register.filter
def nl_signed(value, places=1):
    """Return a difference with its sign and a decimal comma ("+6,0", "−1,5", "0,0"); None becomes a dash."""
    if value is None or value == "":
        return "–"
    value = Decimal(str(value))
    shown = nl_number(abs(value), None if places in (None, "") else int(places))
    # The sign of what is shown: +0,02 rounds to "0,0", and "+0,0" would claim a difference.
    if not shown.strip("0,"):
        return shown
    return ("+" if value > 0 else "−") + shown


@register.filter
def euro(cents):
    """Return integer cents as a Dutch euro amount (€ 1.234.567,89)."""
    if cents is None:
        return "–"
    # A difference may be negative: split the magnitude, or divmod would give -2 and 50 for -150.
    sign = "-" if int(cents) < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"€ {sign}{whole:,}".replace(",", ".") + f",{rest:02d}"


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


@register.filter
def nl_against(value, other):
    """Return `value` with just enough decimals that its order against `other` stays visible."""
    if value is None or value == "":
        return "–"
    a = Decimal(str(value))
    b = None if other is None or other == "" else Decimal(str(other))
    for places in range(1, 7):
        q = Decimal(1).scaleb(-places)
        # The same rounding as the explanations (explain.nl_pair), but trailing zeros stay: "7,0".
        ra = a.quantize(q, rounding=ROUND_HALF_EVEN)
        if b is None:
            return nl_number(ra, places)
        rb = b.quantize(q, rounding=ROUND_HALF_EVEN)
        if (ra > rb) == (a > b) and (ra == rb) == (a == b):
            return nl_number(ra, places)
    return nl_number(a)


@register.filter
def college_distance(entry):
    """Return how far one college is from flipping its result, in words ("nog 1 team nodig")."""
    return words.college_distance(entry)


@register.filter
def small_group(team):
    """Return whether a team's cohort is so small that one student moves its percentage a lot."""
    return rules.small_group(team.get("n") if isinstance(team, dict) else None)


@register.filter
def effect_words(effect):
    """Return the expected effect of an exogenous factor in words with its sign."""
    return {"+": "+ gunstig", "-": "− ongunstig", "?": "? onbekend"}.get(effect, effect)


@register.filter
def euro_mln(cents):
    """Return cents as a short Dutch amount ("€ 7,00 mln")."""
    return "–" if cents is None else euro_short(int(cents))


@register.filter
def pct(value):
    """Return a whole percentage ("59 %"), or a dash."""
    return "–" if value is None else f"{value} %"


@register.filter
def get(mapping, key):
    """Return mapping[key] (or an empty string) for lookups by a variable key."""
    return mapping.get(key, "") if mapping else ""


@register.filter
def year_label(status):
    """Return the year of a STATUS, with "(tussentijds)" when judged against a later ambition."""
    if status.get("interim"):
        return f"{status['year']}, tussentijds tegen {status['ambition_year']}"
    return str(status["year"])


@register.simple_tag(takes_context=True)
def data_status_badge(context, year, budget=False):
    """Return 'voorlopig' or 'vastgesteld' for the year's verdicts (or its budget), linking to the sign-off overview.

    `budget`: the money of the year, which moves with every earlier budget year's verdicts (the
    reserve), so it is vastgesteld only when those years are too (indicatoren.selectors.budget_status).
    """
    from django.urls import reverse

    from indicatoren.selectors import FINAL, budget_status, data_status

    institution = context.get("nav_institution")
    if institution is None or year in (None, ""):
        return ""
    status = (budget_status if budget else data_status)(institution, int(year))
    css = "approved" if status == FINAL else "open"
    if budget:
        what = "Budget"
        title = (
            "Dit jaar en alle eerdere budgetjaren zijn vastgesteld en herberekend."
            if status == FINAL
            else "Dit jaar of een eerder budgetjaar is nog niet vastgesteld (of nog niet herberekend): "
            "het budget en de reserve kunnen nog veranderen."
        )
    else:
        what = "Oordelen"
        title = (
            "Alle colleges hebben dit jaar vastgesteld."
            if status == FINAL
            else "Nog niet voor alle colleges vastgesteld (of nog niet herberekend): de oordelen kunnen nog veranderen."
        )
    return format_html(
        '<a class="signoff-state {} data-status" href="{}" title="{}">{} {}</a>',
        css,
        reverse("signoff:overview"),
        title,
        what,
        status,
    )


@register.filter
def euro_change(cents):
    """Return a signed difference in cents as Dutch euros ("+ € 1.234,56", "− € 0,50")."""
    if cents is None:
        return "–"
    cents = int(cents)
    sign = "+" if cents > 0 else "−" if cents < 0 else "±"
    return f"{sign} {euro(abs(cents))}"
