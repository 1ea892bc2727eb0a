"""The versions of what college directors, team leaders and policy staff edit side by side (kern.versions).

domain.md, "No lost updates": measures, evidence, Q-gesprekken with their actions, follow-ups and
check-ins, spending lines, the manifesto's promises, partner agreements and a budget year's
lumpsum. This module registers their fields and names with kern.versions, the rule's one home,
and re-exports it, so `maatregelen.versions.reconcile` and the rest read as before.
"""

from agenda.models import BudgetYear
from kern.versions import *  # noqa: F403 -- the rule's one home, re-exported
from kern.versions import FIELDS, KEYS, LABELS, NAMES, PART_NAMES, PARTS
from maatregelen.models import (
    ActionFollowUp,
    ActionItem,
    CheckIn,
    Evidence,
    Measure,
    PartnerAgreement,
    Promise,
    Review,
    Spending,
)

# The fields a page or the API may write; a change to any of them is a new version.
FIELDS.update(
    {
        Measure: (
            "theme",
            "college",
            "title",
            "description",
            "category",
            "indicators",
            "planned_budget_cents",
            "status",
            "owner",
            "public",
        ),
        Evidence: ("theme", "indicator", "college", "team", "year", "kind", "title", "text", "link", "public"),
        Review: ("college", "team", "year", "quadrimester", "held_on", "notes", "actions"),
        Spending: ("year", "theme", "college", "measure", "amount_cents", "note"),
        # The manifesto page's promise form, and the lumpsum form of a budget year (the rest of a
        # budget year is the agenda's, written in the admin and the agenda file).
        Promise: (
            "theme",
            "title",
            "promise",
            "origin",
            "target_groups",
            "own_target_groups",
            "effect_inside",
            "effect_outside",
            "budget_cents",
            "accountability",
            "regional_spearhead",
        ),
        BudgetYear: ("lumpsum_total_cents",),
        # The parts of a Q-gesprek (its page's follow-up and check-in forms, the API) and a promise's
        # partner agreements: written by more than one person in the same conversation or year.
        ActionItem: ("description", "owner", "due_on", "status", "indicator"),
        ActionFollowUp: ("status", "note"),
        CheckIn: ("status", "note"),
        PartnerAgreement: ("partner", "agreement", "agreed_on", "regional_deal"),
    }
)
# The rows a delete takes along (on_delete CASCADE) and the API shows inside the record: a
# Q-gesprek's actions, the follow-ups recorded in it and its check-ins. Its version covers them
# (PARTS_KEY), so a delete never takes along one recorded or changed since it was shown, and the
# ETag changes with the body that shows them (RFC 9110 8.8.3: a strong validator of the representation).
PARTS.update({Review: ("action_items", "follow_ups", "check_ins")})
PART_NAMES.update(
    {  # one, more
        "action_items": ("actiepunt", "actiepunten"),
        "follow_ups": ("opvolging", "opvolgingen"),
        "check_ins": ("check-in", "check-ins"),
    }
)
NAMES.update(
    {
        Measure: "De maatregel",
        Evidence: "Het merkbare bewijs",
        Review: "Het Q-gesprek",
        Spending: "De besteding",
        ActionItem: "Het actiepunt",
        CheckIn: "De check-in",
        BudgetYear: "Het budgetjaar",
        Promise: "De belofte",
        ActionFollowUp: "De opvolging",
        PartnerAgreement: "De partnerafspraak",
    }
)
# What makes a new record's key, for a refusal that names a stored one added meanwhile (StaleEdit existing).
KEYS.update(
    {
        Spending: "met dit jaar, thema, college en deze maatregel",
        CheckIn: "voor deze indicator in dit Q-gesprek",
        ActionFollowUp: "van dit actiepunt in dit Q-gesprek",
    }
)
# The model says "eurocent"; the message shows euros.
LABELS.update(
    {
        "planned_budget_cents": "gepland budget",
        "amount_cents": "gerealiseerd",
        "budget_cents": "budget",
        "lumpsum_total_cents": "totale lumpsum",
    }
)
