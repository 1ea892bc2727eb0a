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


# Sent with institution=<agenda.Institution>, college_years=[(college id, year), ...] and what=<Dutch
# text naming the change> before a write changes which teams count in those college-years (a team's
# active years). A listener refuses by raising ValidationError: indicatoren refuses approved years
# (domain.md, "Sign-off and locking"), which agenda, below it, cannot read.
counting_changes = Signal()


def refuse_locked_counting(*, institution, college_years, what: str) -> None:
    """Raise ValidationError when a listener refuses changing what counts in these college-years."""
    if college_years:
        counting_changes.send(sender=None, institution=institution, college_years=college_years, what=what)
