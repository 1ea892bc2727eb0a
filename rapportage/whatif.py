"""What-if of an agenda revision: the verdicts it would flip and the budget cents it would move, nothing saved.

A policy page (issue 15 item 5) previews a herijking before saving it. The dry run applies the
revision through its own agenda service inside a savepoint, evaluates the institution as a
recompute would (rapportage.services.evaluate_institution), and rolls back: the rule of what a
revision does lives in the service alone, never in a second implementation here. An upload's
dry run compares the same way (invoer.uploads.verdict_effects).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from agenda.models import Institution
from indicatoren.services import lock_institution_data
from rapportage.choices import Version
from rapportage.engine.payload import verdict_flips
from rapportage.services import evaluate_institution


class RevisionStale(Exception):
    """The agenda or the values changed since the preview: it no longer shows what saving would do; nothing saved."""

    def __init__(self):
        super().__init__(
            "De agenda of de waarden zijn sinds het voorbeeld gewijzigd; er is niets opgeslagen. "
            "Bekijk het bijgewerkte voorbeeld en sla opnieuw op."
        )


class _RollBack(Exception):
    """Raised inside the dry run's savepoint to undo the revision after evaluating it."""


@dataclass
class WhatIf:
    """What a revision would change: verdict flips (engine.payload.verdict_flips) and budget changes."""

    flips: list[dict] = field(default_factory=list)
    budget: list[dict] = field(default_factory=list)  # per year, theme and college (budget_changes)
    fingerprint: str = ""  # of the state the preview was computed on, and of the revision

    @property
    def themes(self) -> list[dict]:
        """Return the budget changes summed per year and theme, in cents: amount and released, old, new, difference.

        Both: a revised ambition moves no theme amount, only what is released or reserved of it.
        """
        totals: dict[tuple[int, str], dict] = {}
        for change in self.budget:
            row = totals.setdefault(
                (change["year"], change["theme"]),
                {
                    "year": change["year"],
                    "theme": change["theme"],
                    "old_cents": 0,
                    "new_cents": 0,
                    "old_released_cents": 0,
                    "new_released_cents": 0,
                },
            )
            row["old_cents"] += change["old_amount_cents"]
            row["new_cents"] += change["new_amount_cents"]
            row["old_released_cents"] += change["old_released_cents"]
            row["new_released_cents"] += change["new_released_cents"]
        for row in totals.values():
            row["difference_cents"] = row["new_cents"] - row["old_cents"]
            row["released_difference_cents"] = row["new_released_cents"] - row["old_released_cents"]
        return [totals[key] for key in sorted(totals)]


def budget_changes(before: dict, after: dict) -> list[dict]:
    """Return every college's theme amount or released amount that differs between two budget splits."""
    changes = []
    for year, new in after.items():
        old = before.get(year)
        if old is None:
            continue
        old_parts = {(t["theme"], c["college"]): c for t in old["themes"] for c in t["colleges"]}
        for theme in new["themes"]:
            for college in theme["colleges"]:
                was = old_parts.get((theme["theme"], college["college"]))
                if was and (was["released_cents"], was["amount_cents"]) != (
                    college["released_cents"],
                    college["amount_cents"],
                ):
                    changes.append(
                        {
                            "year": year,
                            "theme": theme["theme"],
                            "college": college["college"],
                            "old_amount_cents": was["amount_cents"],
                            "new_amount_cents": college["amount_cents"],
                            "difference_cents": college["amount_cents"] - was["amount_cents"],
                            "old_released_cents": was["released_cents"],
                            "new_released_cents": college["released_cents"],
                        }
                    )
    return changes


def _fingerprint(evaluation: dict, key: str, target: str = "") -> str:
    """Return a digest of an evaluation's verdicts and budgets, of the revision (`key`) and of its target's state.

    The payloads carry every value, reference, ambition and college list that a verdict or an
    amount depends on, so a change to the agenda or the values between preview and save that
    could change the preview changes this digest (the idea of invoer.uploads.Plan.fingerprint).
    `target` is the current state of the row the revision writes: a factor moves no verdict and no
    cent, so without it a second user's save of the same factor would silently overwrite the first.
    """
    digest = hashlib.sha256(key.encode())
    digest.update(b"\0" + target.encode() + b"\0")
    for version in (Version.CURRENT, Version.ORIGINAL):
        statuses = evaluation["statuses"][version]
        for unit in sorted(statuses, key=str):
            digest.update(json.dumps(statuses[unit], sort_keys=True, default=str).encode())
    for year in sorted(evaluation["budgets"]):
        digest.update(json.dumps(evaluation["budgets"][year], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def revision_effects(
    institution: Institution, apply: Callable[[], object], *, key: str, target: Callable[[], str] = str
) -> WhatIf:
    """Return what `apply` (an agenda service call) would change, evaluated inside a savepoint that is rolled back.

    `target` returns the current state of the row `apply` writes (see _fingerprint). A ValidationError
    of the service comes through as it is: the page shows it on its field.
    """
    before = evaluate_institution(institution)
    state = target()
    try:
        with transaction.atomic():
            apply()
            after = evaluate_institution(institution)
            # Roll the revision back; announce_change's on_commit callbacks go with the savepoint.
            raise _RollBack
    except _RollBack:
        pass
    return WhatIf(
        flips=verdict_flips(before["statuses"][Version.CURRENT].values(), after["statuses"][Version.CURRENT].values()),
        budget=budget_changes(before["budgets"], after["budgets"]),
        fingerprint=_fingerprint(before, key, state),
    )


@transaction.atomic
def revision_confirm(
    institution: Institution,
    apply: Callable[[], object],
    *,
    key: str,
    fingerprint: str,
    target: Callable[[], str] = str,
):
    """Save the previewed revision through `apply`; raise RevisionStale (nothing saved) when the preview no longer holds.

    Under the institution's data lock no value changes between the check and the write; `target`
    is read under the lock too, so of two saves of one preview's row only the first goes through.
    """
    lock_institution_data(institution)
    if _fingerprint(evaluate_institution(institution), key, target()) != fingerprint:
        raise RevisionStale
    return apply()
