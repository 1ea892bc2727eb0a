"""The one signal a write sends when a verdict or a euro may have moved.

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
