"""Board packs by mail and alerts when a verdict flips (issue 14, item 5).

A subscriber gets the board pack weekly, monthly (beat asks `board_packs_send` hourly which
subscriptions are due) or after each recompute an upload caused; and, when they asked for it,
one alert per new flip from the flip log (VerdictChange) after every recompute. What a mail
covers follows the subscriber's role when it is written (agenda.permissions.report_colleges):
a director reads their own colleges' lines, the board the whole institution.

A flip is alerted to a subscriber exactly once: the sender holds the subscription's row lock,
records an AlertDelivery per flip (unique per subscriber and flip) and sends in the same
transaction; a second sender, a second worker or a recompute run again finds the flip delivered.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from agenda.models import College, Institution, Theme
from agenda.permissions import can_read, report_colleges
from indicatoren.selectors import budget_status_explained
from rapportage import exports, selectors
from rapportage.changelog import change_causes
from rapportage.choices import Frequency, PackContent, RunState, Version
from rapportage.engine.words import COLLEGE, basis_word, verdict_word
from rapportage.models import AlertDelivery, RecomputeRun, Subscription, VerdictChange

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)
MONTH = timedelta(days=31)  # what a first monthly mail looks back on
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A mail lists this many flips at most; the rest is counted and "Wat is er veranderd" has them all.
MAX_FLIPS = 25


# --- subscriptions ------------------------------------------------------------------------------


def subscription_of(user, institution: Institution) -> Subscription | None:
    """Return the user's subscription in the institution, or None."""
    return Subscription.objects.filter(user=user, institution=institution).first()


def subscription_save(
    *, user, institution: Institution, frequency: str, content: str, flip_alerts: bool, active: bool
) -> Subscription:
    """Create or change the user's own subscription; refuse what could not be sent or would show too much."""
    errors = {}
    if active and not (user.email or "").strip():
        errors["active"] = "Uw account heeft geen e-mailadres; vraag de beheerder er een in te stellen."
    # The workbook holds every college's lines: only a reader of the whole institution gets it mailed.
    if content == PackContent.PACK and report_colleges(user, institution) is not None:
        errors["content"] = "De Excel-rapportage bevat alle colleges; u ontvangt de samenvatting van uw eigen colleges."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            user=user,
            institution=institution,
            defaults={"frequency": frequency, "content": content, "flip_alerts": flip_alerts, "active": active},
        )
        alerts_were_on = not created and subscription.active and subscription.flip_alerts
        subscription.frequency, subscription.content = frequency, content
        subscription.flip_alerts, subscription.active = flip_alerts, active
        if active and flip_alerts and not alerts_were_on:
            # Alerts start now: switching them on never mails the flips of the past.
            subscription.alerts_since = now
        subscription.save()
    return subscription


def subscription_due(subscription: Subscription, now: datetime) -> bool:
    """Return whether a weekly or monthly subscription is due at `now`.

    Weekly: seven days after the last mail. Monthly: once per calendar month (Europe/Amsterdam),
    the first check of a new month. Never sent: due at once. After-upload subscriptions are
    never due by the clock: the recompute of an upload sends them.
    """
    if not subscription.active or subscription.frequency == Frequency.AFTER_UPLOAD:
        return False
    last = subscription.last_sent_at
    if last is None:
        return True
    if subscription.frequency == Frequency.WEEKLY:
        # In UTC: two moments in one zone subtract as wall-clock times, a week across a clock change would be an hour off.
        # Less half a check interval: the hourly check runs a moment earlier or later each time,
        # and a strict week would push the pack an hour later every time it ran early.
        slack = timedelta(seconds=getattr(settings, "BOARD_PACK_CHECK_SECONDS", 3600) / 2)
        return now.astimezone(UTC) - last.astimezone(UTC) >= WEEK - slack
    here, then = timezone.localtime(now), timezone.localtime(last)
    return (here.year, here.month) > (then.year, then.month)


def subscriptions_due(now: datetime) -> list[Subscription]:
    """Return the active weekly and monthly subscriptions due at `now`."""
    candidates = Subscription.objects.filter(
        active=True, frequency__in=[Frequency.WEEKLY, Frequency.MONTHLY]
    ).select_related("user", "institution")
    return [subscription for subscription in candidates if subscription_due(subscription, now)]


# --- what a mail says ---------------------------------------------------------------------------


def _scope(subscription: Subscription) -> tuple[set[int] | None, list[College]]:
    """Return the college ids the mail covers (None: all) and those colleges, by code."""
    scope = report_colleges(subscription.user, subscription.institution)
    colleges = College.objects.filter(institution=subscription.institution).order_by("code")
    if scope is not None:
        colleges = colleges.filter(pk__in=scope)
    return scope, list(colleges)


def _flips(institution: Institution, scope: set[int] | None):
    """Return the flip log of the current ambitions, limited to the scope's colleges.

    A director reads the institution's verdicts (no college) and their own colleges' verdicts,
    never another college's.
    """
    flips = VerdictChange.objects.filter(institution=institution, version=Version.CURRENT)
    if scope is not None:
        flips = flips.filter(Q(college__isnull=True) | Q(college_id__in=scope))
    return flips.select_related("indicator", "college", "run")


def _flip_groups(flips) -> dict:
    """Return the flips grouped by the recompute that logged them, oldest first, each with its cause once.

    At most MAX_FLIPS are listed (a first upload flips hundreds); `more` counts the rest.
    """
    ordered = sorted(flips, key=lambda f: (f.created_at, f.pk))
    groups: list[dict] = []
    for flip in ordered[:MAX_FLIPS]:
        if not groups or groups[-1]["run_id"] != flip.run_id:
            causes = change_causes(flip.run.reason) if flip.run is not None else []
            groups.append({"run_id": flip.run_id, "causes": [c["text"] for c in causes], "flips": []})
        groups[-1]["flips"].append(flip)
    return {"groups": groups, "count": len(ordered), "more": max(0, len(ordered) - MAX_FLIPS)}


def summary_build(subscription: Subscription, now: datetime, *, flips_through: int | None = None) -> dict:
    """Return the board pack's summary for the subscriber: verdicts per theme, flips since the last mail, budget.

    The year is the latest with verdicts (as on the dashboards). A director gets their own
    colleges' lines only; the board every college's tally.
    """
    institution = subscription.institution
    scope, colleges = _scope(subscription)
    codes = {college.code for college in colleges}
    year = selectors.default_year(institution) or list(institution.years)[-1]
    body = selectors.status_body(institution, year)
    by_theme: dict[str, list[dict]] = {}
    for status in body["indicators"]:
        entries = [c for c in status["colleges"] if c["college"] in codes] if scope is not None else []
        by_theme.setdefault(status["theme"], []).append(
            {
                "code": status["indicator"],
                "name": status["name"],
                "word": verdict_word(status["attained"]),
                "basis": basis_word(status["basis"]),
                "colleges_met": status["colleges_met"],
                "colleges_total": status["colleges_total"],
                "own": [
                    {"college": c["college"], "word": verdict_word(c["met"], COLLEGE), "basis": basis_word(c["basis"])}
                    for c in entries
                ],
            }
        )
    themes = [
        {
            "theme": theme,
            "lines": by_theme.get(theme.code, []),
            "counts": selectors.verdict_counts(
                [{"attained": s["attained"]} for s in body["indicators"] if s["theme"] == theme.code]
            ),
        }
        for theme in Theme.objects.filter(institution=institution).order_by("position", "code")
    ]
    tally = [row for row in selectors.college_matrix(body)["rows"] if row["college"] in codes]
    since = subscription.last_sent_at or now - (MONTH if subscription.frequency == Frequency.MONTHLY else WEEK)
    if subscription.last_flip_id is not None:
        flips = _flips(institution, scope).filter(pk__gt=subscription.last_flip_id)
    else:  # the first pack: what flipped in the period it covers
        flips = _flips(institution, scope).filter(created_at__gte=since, created_at__lte=now)
    if flips_through is not None:
        flips = flips.filter(pk__lte=flips_through)  # the watermark the send stores
    flips = _flip_groups(flips)
    budget = selectors.budget_data(institution, year)
    budget_colleges = [row for row in budget.get("colleges", []) if row["college"] in codes]
    return {
        "subscription": subscription,
        "institution": institution,
        "year": year,
        "data_status": body["data_status"],
        "stale": body["stale"],
        "scope": colleges if scope is not None else None,
        "themes": themes,
        "tally": tally,
        "since": since,
        "flips": flips,
        "budget": budget,
        # Why the money is still voorlopig (open years, or the recompute the approval waits for).
        "budget_status_reason": budget_status_explained(institution, year)[1] if budget.get("body") else "",
        "budget_colleges": budget_colleges,
        "site_url": settings.SITE_URL,
        "dashboard_url": settings.SITE_URL + reverse("rapportage:overview"),
        "subscriptions_url": settings.SITE_URL + reverse("rapportage:subscriptions"),
    }


def _message(subscription: Subscription, template: str, context: dict, subject: str, connection=None):
    """Return the mail (text and HTML) to the subscriber."""
    text = render_to_string(f"mail/{template}.txt", context)
    html = render_to_string(f"mail/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[subscription.user.email], connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def pack_message(
    subscription: Subscription,
    now: datetime,
    *,
    connection=None,
    sample: bool = False,
    flips_through: int | None = None,
):
    """Return the board pack mail for the subscriber: the summary, and the workbook when asked for."""
    context = summary_build(subscription, now, flips_through=flips_through) | {"sample": sample}
    institution = subscription.institution
    subject = f"Kwaliteitsagenda {institution.name}: stand {context['year']}"
    if sample:
        subject = f"Voorbeeld: {subject}"
    message = _message(subscription, "board_pack", context, subject, connection)
    if subscription.content == PackContent.PACK and report_colleges(subscription.user, institution) is None:
        workbook = exports.annual_report_xlsx(selectors.report_data(institution, context["year"]))
        message.attach(f"kwaliteitsagenda-{institution.code}-{context['year']}.xlsx", workbook, XLSX)
    return message


# --- sending ------------------------------------------------------------------------------------


def _may_receive(subscription: Subscription) -> bool:
    """Return whether the subscriber still gets mail: active, with an address, and still reading the figures.

    Asked at every send, not when subscribing: someone whose role ended (or who became a partner,
    who reads the public view only) gets nothing more.
    """
    user = subscription.user
    return bool(subscription.active and user.is_active and user.email and can_read(user, subscription.institution))


def _pack_send(
    subscription_id: int, now: datetime, *, connection, due_only: bool, sent_after: datetime | None = None
) -> bool:
    """Send one subscriber's pack under its row lock and note when; return whether it went.

    `sent_after`: skip when a pack already went after this moment (a run's notification
    delivered twice sends its after-upload pack once).
    """
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().select_related("user", "institution").get(pk=subscription_id)
        )
        # Checked again under the lock: a second beat tick or worker already sent it.
        if due_only and not subscription_due(subscription, now):
            return False
        last = subscription.last_sent_at
        if sent_after is not None and last is not None and last >= sent_after:
            return False
        if not _may_receive(subscription):
            return False
        # The watermark is read before the pack is built: a flip committed meanwhile goes in the next one.
        newest = VerdictChange.objects.filter(institution=subscription.institution).aggregate(newest=Max("pk"))
        pack_message(subscription, now, connection=connection, flips_through=newest["newest"]).send()
        Subscription.objects.filter(pk=subscription.pk).update(
            last_sent_at=now, last_flip_id=newest["newest"] or subscription.last_flip_id
        )
    return True


def board_packs_send(now: datetime | None = None) -> int:
    """Send every weekly and monthly pack that is due; return how many went (beat, hourly)."""
    now = now or timezone.now()
    sent = 0
    with get_connection() as connection:
        for subscription in subscriptions_due(now):
            try:
                sent += _pack_send(subscription.pk, now, connection=connection, due_only=True)
            except Exception:  # one bad address must not hold back the others; the next check retries
                logger.exception("board pack for subscription %s not sent", subscription.pk)
    return sent


def pack_sample_send(*, subscription: Subscription) -> None:
    """Send the subscriber a sample of their pack now ("stuur nu een voorbeeld"); the schedule is not moved."""
    if not (subscription.user.email or "").strip():
        raise ValidationError("Uw account heeft geen e-mailadres; vraag de beheerder er een in te stellen.")
    pack_message(subscription, timezone.now(), sample=True).send()


def upload_packs_send(run: RecomputeRun, now: datetime | None = None) -> int:
    """Send the after-upload subscribers of the run's institution their pack, when an upload caused the run."""
    if not any(cause["kind"] == "upload" for cause in change_causes(run.reason)):
        return 0
    now = now or timezone.now()
    ids = Subscription.objects.filter(
        institution_id=run.institution_id, active=True, frequency=Frequency.AFTER_UPLOAD
    ).values_list("pk", flat=True)
    sent = 0
    with get_connection() as connection:
        for pk in ids:
            try:
                sent += _pack_send(pk, now, connection=connection, due_only=False, sent_after=run.finished_at)
            except Exception:
                logger.exception("after-upload pack for subscription %s not sent", pk)
    return sent


def _alert_send(subscription_id: int, *, connection) -> int:
    """Alert one subscriber of the flips not yet alerted to them; return how many flips the mail named."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().select_related("user", "institution").get(pk=subscription_id)
        )
        if not (subscription.flip_alerts and _may_receive(subscription)):
            return 0
        scope = report_colleges(subscription.user, subscription.institution)
        flips = list(
            _flips(subscription.institution, scope)
            .filter(created_at__gte=subscription.alerts_since or subscription.created_at)
            .exclude(deliveries__subscription=subscription)
        )
        if not flips:
            return 0
        try:
            with transaction.atomic():
                AlertDelivery.objects.bulk_create(AlertDelivery(subscription=subscription, change=f) for f in flips)
        except IntegrityError:
            # Another sender recorded (some of) them first (SQLite has no row lock): theirs to send.
            return 0
        context = {
            "subscription": subscription,
            "institution": subscription.institution,
            "flips": _flip_groups(flips),
            "dashboard_url": settings.SITE_URL + reverse("rapportage:changes"),
            "subscriptions_url": settings.SITE_URL + reverse("rapportage:subscriptions"),
        }
        count = len(flips)
        subject = (
            f"Kwaliteitsagenda {subscription.institution.name}: {count} oordeel{'en' if count != 1 else ''} omgeslagen"
        )
        # Sent inside the transaction: a failed send rolls the deliveries back, so the next recompute retries.
        _message(subscription, "flip_alert", context, subject, connection).send()
    return count


def flip_alerts_send(institution_id: int) -> int:
    """Alert every subscriber of the institution of the flips new to them; return the number of mails."""
    ids = Subscription.objects.filter(institution_id=institution_id, active=True, flip_alerts=True).values_list(
        "pk", flat=True
    )
    mails = 0
    with get_connection() as connection:
        for pk in ids:
            try:
                mails += bool(_alert_send(pk, connection=connection))
            except Exception:
                logger.exception("flip alert for subscription %s not sent", pk)
    return mails


def recompute_notify(*, run_id: int) -> dict:
    """After a finished recompute: alert new flips, and send the after-upload packs when an upload caused it."""
    run = RecomputeRun.objects.filter(pk=run_id, state=RunState.DONE).first()
    if run is None:
        return {"alerts": 0, "packs": 0}
    return {"alerts": flip_alerts_send(run.institution_id), "packs": upload_packs_send(run)}


def recompute_notify_enqueue(run_id: int) -> None:
    """Hand a finished run to the notification task; a broker outage only costs the mails, never the run."""
    from rapportage.tasks import recompute_notify_task

    try:
        recompute_notify_task.delay(run_id)
    except Exception as exc:  # broker unreachable; the next recompute alerts these flips too
        logger.warning("notifications of run %s not enqueued (%s)", run_id, exc)
