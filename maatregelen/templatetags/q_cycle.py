"""The Q-cycle timeline on the dashboards (issue 15, item 4): Q-gesprekken, actions, check-ins and evidence.

`{% q_timeline college=college %}` on the college page and `{% q_timeline indicator=indicator %}` on
the indicator page; the dashboards add only that line. Everyone who reads the dashboard sees the
timeline and a link to the read-only Q-gesprekken and merkbaar; write links only for writers.
"""

import datetime
from dataclasses import dataclass

from django import template
from django.db.models import Q
from django.urls import reverse

from maatregelen.models import ActionFollowUp, ActionItem, CheckIn, Evidence, Review

register = template.Library()

SHOWN = 12  # the newest entries; the linked pages hold the rest
# A review without a date stands at the end of its quadrimester (Q1 to April, Q2 to August, Q3 to December).
QUADRIMESTER_END = {1: (4, 30), 2: (8, 31), 3: (12, 31)}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    on: datetime.date  # the order; shown as `when`
    when: str
    kind: str  # "Q-gesprek", "Actiepunt", "Opvolging", "Check-in", "Merkbaar"
    text: str
    url: str
    detail: str = ""


def review_date(review: Review) -> datetime.date:
    """Return the day a review was held, or the end of its quadrimester when no day was recorded."""
    if review.held_on:
        return review.held_on
    month, day = QUADRIMESTER_END[review.quadrimester]
    return datetime.date(review.year, month, day)


def _when(review: Review) -> str:
    """Return how a review's moment reads: '15-06-2020' or '2020 Q2'."""
    return review.held_on.strftime("%d-%m-%Y") if review.held_on else f"{review.year} Q{review.quadrimester}"


def _unit(review: Review) -> str:
    """Return the unit in words for a line that does not show it otherwise."""
    return review.unit_label


def _review_entry(review: Review) -> Entry:
    url = reverse("maatregelen:review", args=[review.pk])
    text = f"Q-gesprek {review.year} Q{review.quadrimester}, {_unit(review)}"
    return Entry(review_date(review), _when(review), "Q-gesprek", text, url)


def _action_entry(action: ActionItem) -> Entry:
    review = action.review
    parts = [f"eigenaar {action.owner}" if action.owner else "", action.get_status_display()]
    if action.due_on:
        parts.append(f"gereed op {action.due_on:%d-%m-%Y}")
    url = reverse("maatregelen:review", args=[review.pk])
    detail = ", ".join(filter(None, parts)) + f" ({_unit(review)})"
    return Entry(review_date(review), _when(review), "Actiepunt", action.description, url, detail)


def _follow_up_entry(follow_up: ActionFollowUp) -> Entry:
    review = follow_up.review
    url = reverse("maatregelen:review", args=[review.pk])
    detail = f"nu {follow_up.get_status_display()}" + (f": {follow_up.note}" if follow_up.note else "")
    return Entry(review_date(review), _when(review), "Opvolging", follow_up.action.description, url, detail)


def _check_in_entry(check_in: CheckIn, with_indicator: bool) -> Entry:
    review = check_in.review
    url = reverse("maatregelen:review", args=[review.pk])
    subject = f"{check_in.indicator.code} " if with_indicator else ""
    text = f"{subject}{check_in.get_status_display()} ({_unit(review)})"
    return Entry(review_date(review), _when(review), "Check-in", text, url, check_in.note)


def _evidence_entry(evidence: Evidence) -> Entry:
    # Evidence is about a year; recorded later, it stands at the end of that year.
    recorded = evidence.created_at.date() if evidence.created_at else datetime.date(evidence.year, 12, 31)
    on = min(recorded, datetime.date(evidence.year, 12, 31))
    where = evidence.team.code if evidence.team else (evidence.college.code if evidence.college else "ROC-breed")
    url = reverse("maatregelen:college", args=[evidence.college.code]) + "#kop-merkbaar" if evidence.college else ""
    detail = f"{evidence.get_kind_display()}, {where}, {evidence.year}"
    return Entry(on, str(evidence.year), "Merkbaar", evidence.title, url, detail)


def college_entries(college) -> list[Entry]:
    """Return the college's timeline: its own and its teams' Q-gesprekken, their actions and check-ins, evidence."""
    related = ("review__college", "review__team")  # each line names its unit: one query per kind, never per row
    reviews = Review.objects.filter(college=college).select_related("college", "team")
    entries = [_review_entry(r) for r in reviews]
    entries += [_action_entry(a) for a in ActionItem.objects.filter(review__college=college).select_related(*related)]
    entries += [
        _follow_up_entry(f)
        for f in ActionFollowUp.objects.filter(review__college=college).select_related(*related, "action")
    ]
    entries += [
        _check_in_entry(c, True)
        for c in CheckIn.objects.filter(review__college=college).select_related(*related, "indicator")
    ]
    entries += [_evidence_entry(e) for e in Evidence.objects.filter(college=college).select_related("college", "team")]
    return entries


def indicator_entries(indicator) -> list[Entry]:
    """Return the indicator's timeline: check-ins on it, actions for it and their follow-ups, its evidence."""
    related = ("review__college", "review__team")
    entries = [_check_in_entry(c, False) for c in CheckIn.objects.filter(indicator=indicator).select_related(*related)]
    entries += [_action_entry(a) for a in ActionItem.objects.filter(indicator=indicator).select_related(*related)]
    entries += [
        _follow_up_entry(f)
        for f in ActionFollowUp.objects.filter(action__indicator=indicator).select_related(*related, "action")
    ]
    evidence = Evidence.objects.filter(Q(indicator=indicator)).select_related("college", "team")
    entries += [_evidence_entry(e) for e in evidence]
    return entries


@register.inclusion_tag("maatregelen/_timeline.html", takes_context=True)
def q_timeline(context, college=None, indicator=None):
    """Render the Q-cycle timeline of a college or an indicator, newest first, with the read-only links."""
    entries = college_entries(college) if college is not None else indicator_entries(indicator)
    entries.sort(key=lambda entry: (entry.on, entry.kind), reverse=True)
    return {
        "college": college,
        "indicator": indicator,
        "entries": entries[:SHOWN],
        "total": len(entries),
        "user": context.get("user"),  # write links only for writers (agenda_permissions' can_write)
    }
