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


# The amounts of one part of a theme's budget that a preview compares: those the budget page shows
# per college, the change log's BUDGET_KINDS (engine.changes) among them, so both channels agree.
_PART_KINDS = ("amount", "released", "reserved", "released_from_reserve")


@dataclass
class WhatIf:
    """What a revision would change: verdict flips (engine.payload.verdict_flips) and budget changes."""

    flips: list[dict] = field(default_factory=list)
    budget: list[dict] = field(default_factory=list)  # per year, theme and part of it (budget_changes)
    themes: list[dict] = field(default_factory=list)  # per year and theme, the whole theme (theme_changes)
    fingerprint: str = ""  # of the state the preview was computed on, and of the revision


def _zero(kinds) -> dict[str, int]:
    """Return the cents of a part or theme a body does not hold: nothing."""
    return dict.fromkeys(kinds, 0)


def _parts(body: dict) -> dict[tuple[str, str | None], dict[str, int]]:
    """Return the cents of every part of one budget body per (theme, college); college None is the central part.

    The central part (the top-slice for common facilities, domain.md "Budget, precisely") holds
    all of a theme's money when no college is active (domain.md, decided points): a revision
    that moves only that money still moves a budget amount.
    """
    parts = {}
    for theme in body["themes"]:
        parts[(theme["theme"], None)] = {**_zero(_PART_KINDS), "amount": theme["central_cents"]}
        for college in theme["colleges"]:
            parts[(theme["theme"], college["college"])] = {
                "amount": college["amount_cents"],
                "released": college["released_cents"],
                "reserved": college["reserved_cents"],
                "released_from_reserve": college["released_from_reserve_cents"],
            }
    return parts


def _theme_totals(body: dict) -> dict[str, dict[str, int]]:
    """Return per theme code its amount, central part and the sums over its colleges of one budget body.

    The same figures as the budget page's theme line (templates/rapportage/budget.html): the
    amount includes the central part, so a preview's row equals what that page shows after saving.
    """
    totals = {}
    for theme in body["themes"]:
        colleges = theme["colleges"]
        totals[theme["theme"]] = {
            "amount": theme["amount_cents"],
            "central": theme["central_cents"],
            "released": sum(college["released_cents"] for college in colleges),
            "reserved": sum(college["reserved_cents"] for college in colleges),
            "released_from_reserve": theme["released_from_reserve_cents"],
        }
    return totals


def budget_changes(before: dict, after: dict) -> list[dict]:
    """Return every part of a theme's budget (a college's, or the central part: college None) that differs, in cents.

    A part differs when its amount, released, reserved or released-from-reserve cents differ; a
    later year's release from reserve moves with an earlier year's verdict (domain.md, the
    reserve, step 3). A part one side lacks counts as nothing there: money moved to or from it.
    A year that had no budget before is no change, as in engine.changes.budget_changes.
    """
    changes = []
    for year in sorted(after):
        if year not in before:
            continue
        old_parts, new_parts = _parts(before[year]), _parts(after[year])
        keys = list(new_parts) + [key for key in old_parts if key not in new_parts]
        for theme, college in keys:
            was = old_parts.get((theme, college)) or _zero(_PART_KINDS)
            now = new_parts.get((theme, college)) or _zero(_PART_KINDS)
            if was == now:
                continue
            changes.append(
                {
                    "year": year,
                    "theme": theme,
                    "college": college,
                    "old_amount_cents": was["amount"],
                    "new_amount_cents": now["amount"],
                    "difference_cents": now["amount"] - was["amount"],
                    "old_released_cents": was["released"],
                    "new_released_cents": now["released"],
                    "old_reserved_cents": was["reserved"],
                    "new_reserved_cents": now["reserved"],
                    "old_released_from_reserve_cents": was["released_from_reserve"],
                    "new_released_from_reserve_cents": now["released_from_reserve"],
                }
            )
    return changes


def theme_changes(before: dict, after: dict) -> list[dict]:
    """Return per year and theme with a part in budget_changes the whole theme's cents before and after.

    From the whole bodies, never summed from the changed parts: unchanged colleges and the central
    part count too, so the row is the theme's amount the budget page shows (budget.html).
    """
    kinds = ("amount", "central", "released", "reserved", "released_from_reserve")
    moved = sorted({(change["year"], change["theme"]) for change in budget_changes(before, after)})
    totals = {}
    rows = []
    for year, theme in moved:
        if year not in totals:
            totals[year] = (_theme_totals(before[year]), _theme_totals(after[year]))
        was = totals[year][0].get(theme) or _zero(kinds)
        now = totals[year][1].get(theme) or _zero(kinds)
        rows.append(
            {
                "year": year,
                "theme": theme,
                "old_cents": was["amount"],
                "new_cents": now["amount"],
                "difference_cents": now["amount"] - was["amount"],
                "old_central_cents": was["central"],
                "new_central_cents": now["central"],
                "old_released_cents": was["released"],
                "new_released_cents": now["released"],
                "released_difference_cents": now["released"] - was["released"],
                "old_reserved_cents": was["reserved"],
                "new_reserved_cents": now["reserved"],
                "old_released_from_reserve_cents": was["released_from_reserve"],
                "new_released_from_reserve_cents": now["released_from_reserve"],
            }
        )
    return rows


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
        themes=theme_changes(before["budgets"], after["budgets"]),
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
