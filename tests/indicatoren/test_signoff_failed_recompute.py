"""*Vastgesteld* never over results the approval did not see, and a voorlopig document says why.

1. A correction asks for a recompute; that run failed, and so did the one the approval asked for.
   The stored verdicts are those from before the correction, yet the year read *vastgesteld*
   (the failed run was no longer "open"): now *voorlopig* (and *verouderd*) until a run succeeds.
   A failure that a later successful run covered before the approval does not hold it back.
2. The documents said "(nog niet door alle colleges vastgesteld)" whatever the reason; they now
   name the open years, or the recompute the approval still waits for. The board pack mail says
   the budget's status beside the verdicts', as the budget page does.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agenda.choices import Role
from agenda.models import College
from indicatoren.selectors import data_status, years_status_explained
from indicatoren.services import measurements_apply
from indicatoren.signoff import signoff_approve
from rapportage import notifications
from rapportage import services as recompute_services
from rapportage.choices import Frequency, PackContent
from rapportage.documents import annual_report
from rapportage.models import RecomputeRun, RunState
from rapportage.pdf_render import document_html
from tests.indicatoren.signoff_world import RESERVE_VALUES, build, person
from tests.indicatoren.test_signoff_honest_labels import team_rows as correction

pytestmark = pytest.mark.django_db


def fail_waiting_run(inst, monkeypatch) -> RecomputeRun:
    """Run the institution's waiting run in this process with a recompute that breaks: it is marked failed."""

    def broken(**kwargs):
        raise RuntimeError("herberekening kapot")

    waiting = RecomputeRun.objects.get(institution=inst, state=RunState.PENDING)
    with monkeypatch.context() as patched:
        patched.setattr(recompute_services, "attainment_recompute", broken)
        recompute_services.recompute_run(run_id=waiting.pk, in_process=True)
    failed = RecomputeRun.objects.get(pk=waiting.pk)
    assert failed.state == RunState.FAILED
    return failed


def test_an_approval_over_a_failed_recompute_is_voorlopig_until_a_run_succeeds(monkeypatch):
    values = {
        (2020, f"{college}-T{i}"): ("8" if college == "C3" else "6.5") for college in "A1 B2 C3".split() for i in (1, 2)
    }
    inst = build("HLF", values)
    recompute_services.recompute_now(institution=inst, reason="test")
    boss = person(inst, "beleid", Role.POLICY)
    b2 = College.objects.get(institution=inst, code="B2")
    measurements_apply(institution=inst, rows=correction(inst, "B2", 2020, "8"), user=boss)  # B2 no longer meets
    fail_waiting_run(inst, monkeypatch)
    signoff_approve(institution=inst, year=2020, user=boss)
    fail_waiting_run(inst, monkeypatch)  # the approval's own run breaks too
    client = Client()
    client.force_login(boss)
    served = client.get("/api/v1/indicators/vsv/status/?year=2020&institution=HLF").json()
    assert served["attained"] is True  # from before B2's correction ...
    assert (served["data_status"], served["stale"]) == ("voorlopig", True)  # ... never called vastgesteld
    assert years_status_explained(inst, [2020]) == (
        "voorlopig",
        "vastgesteld, maar de herberekening met de vastgestelde gegevens is nog niet geslaagd",
    )
    assert b2.pk  # the correction was B2's
    recompute_services.recompute_now(institution=inst, reason="test")
    actual = client.get("/api/v1/indicators/vsv/status/?year=2020&institution=HLF").json()
    assert (actual["attained"], actual["data_status"], actual["stale"]) == (False, "vastgesteld", False)


def test_a_failure_covered_by_a_later_successful_run_does_not_hold_the_approval_back(monkeypatch):
    inst = build("HLG", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    measurements_apply(institution=inst, rows=correction(inst, "A1", 2020, "7"), user=boss)
    fail_waiting_run(inst, monkeypatch)
    recompute_services.recompute_now(institution=inst, reason="test")  # asked after the failure, succeeded
    signoff_approve(institution=inst, year=2020, user=boss)
    assert data_status(inst, 2020) == "vastgesteld"


def test_a_voorlopig_document_names_the_open_years():
    inst = build("HLR", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    recompute_services.recompute_now(institution=inst, reason="test")
    report = annual_report(inst, 2021)
    reason = "2020 en 2021 zijn nog niet voor alle colleges en het instellingsniveau vastgesteld"
    assert (report.data_status, report.data_status_reason) == ("voorlopig", reason)
    assert f"({reason})" in document_html(report, {})
    assert "nog niet door alle colleges vastgesteld" not in document_html(report, {})
    signoff_approve(institution=inst, year=2021, user=boss)
    recompute_services.recompute_now(institution=inst, reason="test")
    report = annual_report(inst, 2021)
    assert report.data_status_reason == "2020 is nog niet voor alle colleges en het instellingsniveau vastgesteld"
    signoff_approve(institution=inst, year=2020, user=boss)
    recompute_services.recompute_now(institution=inst, reason="test")
    report = annual_report(inst, 2021)
    assert (report.data_status, report.data_status_reason) == ("vastgesteld", "")
    assert "Status van de gegevens" in document_html(report, {})


def weekly_pack(inst, email: str):
    """Return a board member's weekly summary subscription and the pack it sends now."""
    board = person(inst, "bestuur", Role.BOARD)
    get_user_model().objects.filter(pk=board.pk).update(email=email)
    board.refresh_from_db()
    subscription = notifications.subscription_save(
        user=board,
        institution=inst,
        frequency=Frequency.WEEKLY,
        content=PackContent.SUMMARY,
        flip_alerts=False,
        active=True,
    )
    return subscription, notifications.pack_message(subscription, notifications.timezone.now())


def test_the_board_pack_says_the_budgets_status_beside_the_verdicts():
    inst = build("HLB", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    signoff_approve(institution=inst, year=2021, user=boss)  # 2020 stays open
    recompute_services.recompute_now(institution=inst, reason="test")
    subscription, message = weekly_pack(inst, "bestuur@hlb.example")
    year = notifications.summary_build(subscription, notifications.timezone.now())["year"]
    assert year == 2021, year
    assert "stand 2021 (vastgesteld)" in message.body  # the verdicts of 2021 ...
    assert (
        "BUDGET 2021 (voorlopig: 2020 is nog niet voor alle colleges en het instellingsniveau vastgesteld; "
        "het budget en de reserve kunnen nog veranderen)"
    ) in message.body  # ... not its money, and why
    html = message.alternatives[0][0]
    assert "Budget 2021 (voorlopig)" in html


def test_the_board_pack_names_the_recompute_when_every_budget_year_is_approved(monkeypatch):
    """Every year approved, the recompute with the approved data failed: the mail says so, not "until approved".

    Found by the review of this session (tests/review_s36): the mail's reason was a fixed sentence.
    """
    inst = build("RVB", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    recompute_services.recompute_now(institution=inst, reason="test")
    measurements_apply(institution=inst, rows=correction(inst, "B2", 2021, "8"), user=boss)
    fail_waiting_run(inst, monkeypatch)
    signoff_approve(institution=inst, year=2020, user=boss)
    signoff_approve(institution=inst, year=2021, user=boss)
    fail_waiting_run(inst, monkeypatch)  # the approval's own run breaks too
    _, message = weekly_pack(inst, "bestuur@rvb.example")
    reason = "vastgesteld, maar de herberekening met de vastgestelde gegevens is nog niet geslaagd"
    assert f"BUDGET 2021 (voorlopig: {reason}; het budget en de reserve kunnen nog veranderen)" in message.body
    assert "alle eerdere budgetjaren zijn vastgesteld" not in message.body
    assert f"Voorlopig: {reason}" in message.alternatives[0][0]
