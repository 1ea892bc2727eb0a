"""Board packs by mail and flip alerts (issue 14, item 5): content, filtering, due-ness, once-only alerts, the page."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from agenda.models import College, Membership
from indicatoren.models import Measurement
from kwaliteit.celery import app as celery_app
from kwaliteit.settings import CELERY_BEAT_SCHEDULE
from rapportage import notifications, services
from rapportage.choices import Frequency, PackContent
from rapportage.models import AlertDelivery, RecomputeRun, RunState, Subscription, VerdictChange
from tests.rapportage.test_services import fragile_team

AMS = ZoneInfo("Europe/Amsterdam")


def at(*args) -> datetime:
    """Return an Amsterdam wall-clock moment."""
    return datetime(*args, tzinfo=AMS)


# --- due-ness: pure, no database ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "last", "now", "due"),
    [
        (Frequency.WEEKLY, None, at(2022, 3, 1, 9), True),
        (Frequency.WEEKLY, at(2022, 3, 1, 9), at(2022, 3, 8, 8, 29, 59), False),
        (Frequency.WEEKLY, at(2022, 3, 1, 9), at(2022, 3, 8, 9), True),
        # The hourly check running a moment early still sends this week's pack (half an interval of slack).
        (Frequency.WEEKLY, at(2022, 3, 1, 9, 0, 1), at(2022, 3, 8, 9), True),
        (Frequency.WEEKLY, at(2022, 3, 1, 9), at(2022, 3, 8, 8, 30), True),
        # Across the switch to summer time (27 March 2022) a week is still 7 x 24 hours.
        (Frequency.WEEKLY, at(2022, 3, 24, 9), at(2022, 3, 31, 9), False),
        (Frequency.WEEKLY, at(2022, 3, 24, 9), at(2022, 3, 31, 10), True),
        (Frequency.MONTHLY, None, at(2022, 3, 1, 9), True),
        (Frequency.MONTHLY, at(2022, 1, 31, 23, 59), at(2022, 2, 1, 0, 0), True),
        (Frequency.MONTHLY, at(2022, 2, 1, 0, 0), at(2022, 2, 28, 23, 59), False),
        (Frequency.MONTHLY, at(2022, 12, 31, 23, 0), at(2023, 1, 1, 0, 30), True),
        # 23:30 UTC on 31 January is already February in Amsterdam: the calendar month is the local one.
        (Frequency.MONTHLY, datetime(2022, 1, 31, 22, 30, tzinfo=ZoneInfo("UTC")), at(2022, 2, 1, 0, 10), True),
        (Frequency.MONTHLY, datetime(2022, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC")), at(2022, 2, 1, 0, 40), False),
        (Frequency.AFTER_UPLOAD, None, at(2022, 3, 1, 9), False),
    ],
)
def test_due_at_the_week_and_calendar_month_boundaries(frequency, last, now, due):
    """Weekly is due 7 days after the last mail, monthly once per Amsterdam calendar month, after-upload never."""
    subscription = Subscription(frequency=frequency, last_sent_at=last, active=True)
    assert notifications.subscription_due(subscription, now) is due


def test_an_inactive_subscription_is_never_due():
    """A subscription switched off is not due, however long ago the last mail went."""
    assert not notifications.subscription_due(Subscription(frequency=Frequency.WEEKLY, active=False), at(2022, 3, 1))


def test_beat_checks_the_board_packs():
    """The beat schedule names the registered board-pack task, hourly by default."""
    celery_app.loader.import_default_modules()
    entry = CELERY_BEAT_SCHEDULE["board-packs"]
    assert entry["task"] == "rapportage.tasks.board_packs_send_task" and entry["task"] in celery_app.tasks
    assert entry["schedule"] == 3600


# --- with the demo ------------------------------------------------------------------------------


def user(name: str):
    """Return a demo user with an e-mail address."""
    account = get_user_model().objects.get(username=name)
    account.email = f"{name}@example.org"
    account.save(update_fields=["email"])
    return account


def subscribe(name: str, institution, **options) -> Subscription:
    """Subscribe a demo user through the service (weekly summary with alerts unless told)."""
    defaults = {"frequency": Frequency.WEEKLY, "content": PackContent.SUMMARY, "flip_alerts": True, "active": True}
    return notifications.subscription_save(user=user(name), institution=institution, **(defaults | options))


def colleges_named(text: str) -> set[str]:
    """Return the college codes a mail names as "college CODE"."""
    return set(re.findall(r"college (\d{4})", text))


def flip_1a(institution) -> tuple:
    """Lower the fragile team's 1a 2022 value so that 1a 2022 (and its college) flips on the next recompute."""
    team, _status = fragile_team(institution)
    Measurement.objects.filter(indicator__code="1a", year=2022, team=team).update(value=Decimal("5.0"))
    return team


@pytest.fixture
def other_college(rocvaf_demo):
    """Return a function: a college other than `code`."""
    return lambda code: College.objects.filter(institution=rocvaf_demo).exclude(code=code).order_by("code").first()


def test_a_director_reads_only_their_own_colleges(rocvaf_demo):
    """directeur5100's pack names college 5100's lines and budget, never another college's."""
    subscription = subscribe("directeur5100", rocvaf_demo)
    message = notifications.pack_message(subscription, timezone.now())
    assert colleges_named(message.body) == {"5100"}
    assert "Uw colleges: 5100" in message.body
    assert set(re.findall(r"^  (\d{4}) .*: \d+ van \d+$", message.body, flags=re.M)) == {"5100"}  # own tally only
    html = message.alternatives[0][0]
    assert colleges_named(html) == {"5100"}
    assert not message.attachments


def test_a_board_member_reads_the_whole_institution(rocvaf_demo):
    """bestuur's pack has every theme, every college's tally and the budget totals."""
    subscription = subscribe("bestuur", rocvaf_demo)
    message = notifications.pack_message(subscription, timezone.now())
    codes = set(College.objects.filter(institution=rocvaf_demo).values_list("code", flat=True))
    tally = set(re.findall(r"^  (\d{4}) .*: \d+ van \d+$", message.body, flags=re.M))
    assert tally == codes and len(codes) == 12
    assert "Uw colleges" not in message.body
    for theme in rocvaf_demo.themes.all():
        assert f"{theme.code} {theme.name}:" in message.body
    assert "Totaal: € " in message.body and "Vrijgegeven: € " in message.body


def test_the_pack_attaches_the_workbook_for_the_board_only(rocvaf_demo):
    """A board member's 'pack' carries the annual-report workbook; a director cannot choose it."""
    subscription = subscribe("bestuur", rocvaf_demo, content=PackContent.PACK)
    message = notifications.pack_message(subscription, timezone.now())
    (name, content, mimetype) = message.attachments[0]
    assert name.startswith("kwaliteitsagenda-ROCVAF-") and content[:2] == b"PK" and "spreadsheetml" in mimetype
    with pytest.raises(ValidationError) as refused:
        subscribe("directeur5100", rocvaf_demo, content=PackContent.PACK)
    assert "eigen colleges" in str(refused.value)


def test_a_subscription_needs_an_email_address(rocvaf_demo):
    """An account without an address is told so in Dutch; nothing is stored."""
    account = get_user_model().objects.get(username="bestuur")
    account.email = ""
    account.save()
    with pytest.raises(ValidationError) as refused:
        notifications.subscription_save(
            user=account, institution=rocvaf_demo, frequency="weekly", content="summary", flip_alerts=True, active=True
        )
    assert "geen e-mailadres" in str(refused.value)
    assert not Subscription.objects.filter(user=account).exists()


def test_due_packs_go_once_and_the_clock_moves(rocvaf_demo):
    """board_packs_send mails the due subscriptions, notes when, and sends nothing on a second check."""
    weekly = subscribe("bestuur", rocvaf_demo)
    monthly = subscribe("directeur5100", rocvaf_demo, frequency=Frequency.MONTHLY)
    subscribe("directeur5200", rocvaf_demo, frequency=Frequency.AFTER_UPLOAD)
    now = at(2022, 3, 1, 9)  # a week later is still March: the monthly one waits for April
    assert notifications.board_packs_send(now) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["bestuur@example.org", "directeur5100@example.org"]
    assert notifications.board_packs_send(now + timedelta(hours=1)) == 0
    weekly.refresh_from_db()
    monthly.refresh_from_db()
    assert weekly.last_sent_at == now and monthly.last_sent_at == now
    assert notifications.board_packs_send(now + timedelta(days=7)) == 1  # the weekly one again
    assert len(mail.outbox) == 3


def test_the_pack_lists_what_flipped_since_the_last_mail_with_its_cause(rocvaf_demo):
    """A flip after the last mail is in the next pack with the recompute's cause."""
    subscription = subscribe("bestuur", rocvaf_demo)
    Subscription.objects.filter(pk=subscription.pk).update(last_sent_at=timezone.now() - timedelta(seconds=1))
    flip_1a(rocvaf_demo)
    services.recompute_now(institution=rocvaf_demo, reason="upload #7 correctie.csv")
    subscription.refresh_from_db()
    message = notifications.pack_message(subscription, timezone.now())
    assert "1a 2022: behaald -> niet behaald" in message.body
    assert "Aanleiding: upload #7 correctie.csv" in message.body


def test_a_flip_logged_before_a_pack_but_committed_after_it_is_in_the_next_pack(rocvaf_demo):
    """The pack's flips follow an id watermark, not created_at: a recompute logs its flips before it commits."""
    team, _status = fragile_team(rocvaf_demo)
    cell = Measurement.objects.filter(indicator__code="1a", year=2022, team=team)
    before = cell.get().value
    flip_1a(rocvaf_demo)
    services.recompute_now(institution=rocvaf_demo, reason="eerste omslag")
    subscription = subscribe("bestuur", rocvaf_demo)
    sent_at = timezone.now()
    assert notifications.board_packs_send(sent_at) == 1
    subscription.refresh_from_db()
    newest = VerdictChange.objects.filter(institution=rocvaf_demo).order_by("-pk").first().pk
    assert subscription.last_flip_id == newest  # the send stores what its pack could see
    # A run that logged its flips before that pack went and committed only after it.
    cell.update(value=before)
    run = services.recompute_now(institution=rocvaf_demo, reason="upload #8 laat.csv")
    late = VerdictChange.objects.filter(run=run)
    assert late.exists()
    late.update(created_at=sent_at - timedelta(seconds=5))
    message = notifications.pack_message(subscription, timezone.now())
    assert "1a 2022: niet behaald -> behaald" in message.body


def test_a_flip_is_alerted_once_not_once_per_recompute(rocvaf_demo, django_capture_on_commit_callbacks):
    """The recompute's hook alerts a new flip once; a second recompute with no new flip sends nothing."""
    subscribe("bestuur", rocvaf_demo, frequency=Frequency.MONTHLY)
    team = flip_1a(rocvaf_demo)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.recompute_now(institution=rocvaf_demo, reason="beheer: correctie")
    assert first.state == RunState.DONE
    alerts = [m for m in mail.outbox if "omgeslagen" in m.subject]
    assert len(alerts) == 1
    assert "1a 2022: behaald -> niet behaald" in alerts[0].body
    assert f"college {team.college.code}" in alerts[0].body
    assert AlertDelivery.objects.count() == VerdictChange.objects.filter(run=first).count() > 0
    with django_capture_on_commit_callbacks(execute=True):
        services.recompute_now(institution=rocvaf_demo, reason="nogmaals")
    assert len([m for m in mail.outbox if "omgeslagen" in m.subject]) == 1
    assert notifications.flip_alerts_send(rocvaf_demo.pk) == 0  # asked again directly: nothing new


def test_a_director_is_alerted_of_the_institution_and_own_colleges_only(rocvaf_demo, other_college):
    """Another college's director hears of the institution's flip, not of the fragile college's."""
    team, _ = fragile_team(rocvaf_demo)
    other = other_college(team.college.code)
    subscribe(f"directeur{other.code}", rocvaf_demo)
    subscribe(f"directeur{team.college.code}", rocvaf_demo)
    flip_1a(rocvaf_demo)
    services.recompute_now(institution=rocvaf_demo, reason="beheer: correctie")
    assert notifications.flip_alerts_send(rocvaf_demo.pk) == 2
    by_address = {m.to[0]: m.body for m in mail.outbox}
    theirs = by_address[f"directeur{other.code}@example.org"]
    own = by_address[f"directeur{team.college.code}@example.org"]
    assert "1a 2022: behaald -> niet behaald" in theirs and colleges_named(theirs) == set()
    assert colleges_named(own) == {team.college.code}


def test_alerts_never_send_the_flips_of_before_the_subscription(rocvaf_demo):
    """Flips logged before alerts were switched on are not mailed."""
    flip_1a(rocvaf_demo)
    services.recompute_now(institution=rocvaf_demo, reason="beheer: correctie")
    assert VerdictChange.objects.exists()
    subscribe("bestuur", rocvaf_demo)
    assert notifications.flip_alerts_send(rocvaf_demo.pk) == 0
    assert not mail.outbox


def test_after_upload_packs_follow_an_upload_only(rocvaf_demo):
    """A run caused by an upload sends the after-upload packs once; one caused by the grid does not."""
    subscribe("bestuur", rocvaf_demo, frequency=Frequency.AFTER_UPLOAD, flip_alerts=False)
    subscribe("directeur5100", rocvaf_demo, frequency=Frequency.WEEKLY, flip_alerts=False)
    grid = RecomputeRun.objects.create(institution=rocvaf_demo, reason="invoer 5100 2022", state=RunState.DONE)
    assert notifications.recompute_notify(run_id=grid.pk) == {"alerts": 0, "packs": 0}
    upload = RecomputeRun.objects.create(
        institution=rocvaf_demo, reason="invoer 5100 2022; upload #3 benchmark.csv", state=RunState.DONE
    )
    upload.finished_at = timezone.now()
    upload.save()
    assert notifications.recompute_notify(run_id=upload.pk) == {"alerts": 0, "packs": 1}
    assert notifications.recompute_notify(run_id=upload.pk) == {"alerts": 0, "packs": 0}  # delivered twice: once
    assert [m.to[0] for m in mail.outbox] == ["bestuur@example.org"]


def test_someone_whose_role_ended_gets_no_more_mail(rocvaf_demo):
    """A subscriber without a role in the institution any more gets neither the pack nor an alert."""
    subscription = subscribe("directeur5100", rocvaf_demo)
    Membership.objects.filter(user=subscription.user, institution=rocvaf_demo).delete()
    flip_1a(rocvaf_demo)
    services.recompute_now(institution=rocvaf_demo, reason="beheer: correctie")
    assert notifications.board_packs_send(timezone.now()) == 0
    assert notifications.flip_alerts_send(rocvaf_demo.pk) == 0
    assert not mail.outbox


# --- the page -----------------------------------------------------------------------------------


def test_the_page_saves_a_directors_subscription_and_offers_no_workbook(rocvaf_demo, client):
    """directeur5100 sees their own college, no workbook choice, and saves a monthly summary."""
    client.force_login(user("directeur5100"))
    page = client.get("/dashboard/abonnementen/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Uw overzicht gaat over uw eigen colleges" in text and "5100" in text
    assert 'value="pack"' not in text
    response = client.post(
        "/dashboard/abonnementen/",
        {"active": "on", "frequency": "monthly", "content": "summary", "flip_alerts": "on", "opslaan": ""},
    )
    assert response.status_code == 302
    saved = Subscription.objects.get(user__username="directeur5100")
    assert (saved.frequency, saved.content, saved.flip_alerts, saved.active) == ("monthly", "summary", True, True)
    refused = client.post("/dashboard/abonnementen/", {"active": "on", "frequency": "weekly", "content": "pack"})
    assert refused.status_code == 200 and "Kies een inhoud uit de lijst." in refused.content.decode()


def test_the_sample_button_mails_a_sample_now(rocvaf_demo, client):
    """'Stuur nu een voorbeeld' mails the pack marked as a sample and leaves the schedule alone."""
    subscription = subscribe("bestuur", rocvaf_demo, content=PackContent.PACK)
    client.force_login(subscription.user)
    response = client.post("/dashboard/abonnementen/", {"voorbeeld": ""}, follow=True)
    assert "Een voorbeeld is verstuurd naar bestuur@example.org." in response.content.decode()
    (message,) = mail.outbox
    assert message.subject.startswith("Voorbeeld: ") and "VOORBEELD" in message.body and message.attachments
    subscription.refresh_from_db()
    assert subscription.last_sent_at is None


def test_the_page_says_so_when_the_account_has_no_address(rocvaf_demo, client):
    """Saving an active subscription without an e-mail address is refused in Dutch."""
    client.force_login(get_user_model().objects.get(username="bestuur"))
    response = client.post("/dashboard/abonnementen/", {"active": "on", "frequency": "weekly", "content": "summary"})
    assert response.status_code == 200
    assert "Uw account heeft geen e-mailadres" in response.content.decode()
