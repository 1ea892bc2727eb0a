"""The signals a write sends when a verdict or a euro may have moved, or is about to.

The apps that store data (agenda, indicatoren) sit below the app that computes verdicts
(rapportage), so they do not call it: they announce the change, and rapportage, which
listens (rapportage/apps.py), asks for a recompute when the transaction commits. This keeps
every import arrow pointing down (README, "Map of the apps").
"""

from django.dispatch import Signal

# Sent with institution=<agenda.Institution> and reason=<Dutch text for the run log>.
data_changed = Signal()


def announce_change(*, institution, reason: str) -> None:
    """Tell the listeners that the institution's verdicts and budget must be recomputed."""
    data_changed.send(sender=None, institution=institution, reason=reason)


# Sent with institution=<agenda.Institution>, units=[(college id or None for the institution level,
# year), ...] and what=<Dutch text naming the change> before a write changes what is judged or paid
# in those units: a team's active years, a herijking from a year on. A listener refuses by raising
# ValidationError: indicatoren refuses approved years (domain.md, "Sign-off and locking"), which
# agenda, below it, cannot read.
approved_change = Signal()


def refuse_if_approved(*, institution, units, what: str) -> None:
    """Raise ValidationError when a listener refuses changing what is judged or paid in these units."""
    if units:
        approved_change.send(sender=None, institution=institution, units=list(units), what=what)
