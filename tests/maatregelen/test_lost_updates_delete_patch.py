"""No lost updates (domain.md) on the two paths that still lost one: a partial API write and the evidence delete page.

1. A PATCH (or a follow-up that sets an action's status) names only the fields it changes. The
   fields it leaves out are the stored ones as read under the row lock inside the service's
   transaction, never the view's own earlier read: a save to another field in between stays. Shown
   on PostgreSQL with a second connection that holds the row lock (SELECT ... FOR UPDATE) while it
   changes another field, so the request is certain to read before that change and write after it.
2. The evidence delete page carries the version it shows; a delete after someone changed the
   evidence is refused (409) naming what changed, nothing deleted; confirmed again it is deleted and
   history keeps it.
"""

import re
import threading
import time
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import College, Indicator, Membership, Theme
from agenda.services import agenda_load
from maatregelen import services, versions
from maatregelen.models import Evidence, Measure, Spending
from tests.api.conftest import agenda_spec

YEAR = 2021
WAIT_SECONDS = 120  # the longest a thread here waits for another; nothing asserts on time


def build_world() -> dict:
    """Load a small agenda of its own (code NLD); a director of D100, a policy user and one record of each kind."""
    institution = agenda_load(data=agenda_spec("NLD", ["D100", "D200"])).institution
    college = College.objects.get(institution=institution, code="D100")
    theme = Theme.objects.get(institution=institution, code="T1")
    users = {}
    for name, role, colleges in [("nld_directeur", Role.DIRECTOR, [college]), ("nld_beleid", Role.POLICY, [])]:
        user = get_user_model().objects.create_user(username=name, password="geheim-nld-2021", first_name=name)
        Membership.objects.create(user=user, institution=institution, role=role, api_write=True).colleges.set(colleges)
        users[name] = user
    review = services.review_create(college=college, year=YEAR, quadrimester=1, notes="Verslag")
    return {
        "institution": institution,
        "college": college,
        "users": users,
        "measure": services.measure_create(
            college=college, theme=theme, title="Coaching", category="programma", planned_budget_cents=100_000
        ),
        "evidence": services.evidence_create(
            college=college, theme=theme, year=YEAR, kind="verhaal", title="Een verhaal", text="Eerste versie."
        ),
        "review": review,
        "later_review": services.review_create(college=college, year=YEAR, quadrimester=2, notes="Later"),
        "spending": services.spending_record(
            institution=institution,
            year=YEAR,
            theme=theme,
            college=college,
            measure=None,
            amount_cents=10_000,
            note="Eerste opgave",
        ),
        "action": services.action_create(review=review, description="Eerste afspraak", owner="Jan"),
        "check_in": services.checkin_record(
            review=review,
            indicator=Indicator.objects.get(institution=institution, code="vsv"),
            status="op_koers",
            note="Eerste toelichting",
        ),
    }


@pytest.fixture
def world(db) -> dict:
    """Return the world, built inside the test's transaction (rolled back after it)."""
    return build_world()


def browser(world, name) -> Client:
    """Return a client logged in as one of the world's users."""
    client = Client()
    client.force_login(world["users"][name])
    return client


# --- 1. a partial write never puts back what its view read before another save --------------------

# Per case: the row, the request (method, address, body) that changes one field, the field another
# writer changes meanwhile (under its row lock) with its new value, and what both leave stored.
# Spending, action items, follow-ups and check-ins lost the other writer's change before; measures,
# evidence and reviews were already kept by their per-field digests and now take the same single
# path (a field not sent is not written), which these cases keep honest.
CASES = {
    "spending": (
        "spending",
        lambda w: ("patch", f"/api/v1/spending/{w['spending'].pk}/", {"amount_cents": 25_000}),
        {"note": "Notitie van beleid"},
        {"amount_cents": 25_000, "note": "Notitie van beleid"},
    ),
    "action": (
        "action",
        lambda w: ("patch", f"/api/v1/review-actions/{w['action'].pk}/", {"status": "in_uitvoering"}),
        {"description": "Afspraak van beleid"},
        {"status": "in_uitvoering", "description": "Afspraak van beleid"},
    ),
    "follow_up": (
        "action",
        lambda w: (
            "post",
            "/api/v1/review-follow-ups/",
            {"action": w["action"].pk, "review": w["later_review"].pk, "status": "gereed"},
        ),
        {"description": "Afspraak van beleid"},
        {"status": "gereed", "description": "Afspraak van beleid"},
    ),
    "check_in": (
        "check_in",
        lambda w: ("patch", f"/api/v1/review-check-ins/{w['check_in'].pk}/", {"note": "Toelichting van de directeur"}),
        {"status": "risico"},
        {"status": "risico", "note": "Toelichting van de directeur"},
    ),
    "measure": (
        "measure",
        lambda w: ("patch", f"/api/v1/measures/{w['measure'].pk}/", {"owner": "Piet"}),
        {"planned_budget_cents": 25_000_000},
        {"owner": "Piet", "planned_budget_cents": 25_000_000},
    ),
    "evidence": (
        "evidence",
        lambda w: ("patch", f"/api/v1/evidence/{w['evidence'].pk}/", {"title": "Ander verhaal"}),
        {"text": "Tweede versie."},
        {"title": "Ander verhaal", "text": "Tweede versie."},
    ),
    "review": (
        "review",
        lambda w: ("patch", f"/api/v1/reviews/{w['review'].pk}/", {"notes": "Verslag van de directeur"}),
        {"actions": "Afspraken van beleid"},
        {"notes": "Verslag van de directeur", "actions": "Afspraken van beleid"},
    ),
}


def lock_waiters() -> int:
    """Return how many other sessions of the test database wait for a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def while_another_holds(hold, act) -> None:
    """Run `hold` in a transaction on a second connection and keep it open until `act`, on a third, waits on a lock.

    Then the holder commits and both threads end; an exception in either is raised here. A write
    racing another this way is certain to read before the other's commit and write after it (or,
    for an insert, to wait on the unique index until the other's row is committed).
    """
    held, release = threading.Event(), threading.Event()
    errors = []

    def holder():
        try:
            with transaction.atomic():
                hold()
                held.set()
                assert release.wait(WAIT_SECONDS), "never released"
        except Exception as exc:  # noqa: BLE001 -- reported by the main thread
            errors.append(exc)
            held.set()
        finally:
            connection.close()

    def actor():
        try:
            act()
        except Exception as exc:  # noqa: BLE001 -- reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    other = threading.Thread(target=holder)
    other.start()
    assert held.wait(WAIT_SECONDS) and not errors, errors
    writer = threading.Thread(target=actor)
    writer.start()
    # Release the holder only once the writer waits for its lock (or, should it never wait, has ended).
    deadline = time.monotonic() + WAIT_SECONDS
    while writer.is_alive() and lock_waiters() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    other.join(WAIT_SECONDS)
    writer.join(WAIT_SECONDS)
    assert not errors, errors


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", list(CASES))
def test_a_partial_write_keeps_a_change_saved_to_another_field_while_it_ran(case):
    """Another writer holds the row lock with a change of another field; the request reads, waits, writes: both stay.

    The request's view reads the row before the other change is committed (READ COMMITTED) and its
    write waits for the lock; once the other writer commits, the write must take the other field
    from the row as it is then, not from the view's read.
    """
    world = build_world()
    key, request_of, theirs, expected = CASES[case]
    record = world[key]
    model = type(record)
    method, url, body = request_of(world)
    answers = {}

    def other_writer():
        model.objects.select_for_update().get(pk=record.pk)
        model.objects.filter(pk=record.pk).update(**theirs)

    def request():
        client = APIClient()
        client.force_authenticate(world["users"]["nld_beleid"])
        response = getattr(client, method)(url, body, format="json")
        answers["status"], answers["body"] = response.status_code, response.content.decode()

    while_another_holds(other_writer, request)
    assert answers["status"] in (200, 201), answers
    stored = model.objects.filter(pk=record.pk).values(*expected).get()
    assert stored == expected


@pytest.mark.django_db
def test_the_spending_update_takes_the_fields_not_given_from_the_row_as_locked(world):
    """The service the spending PATCH calls: a field not given is the stored one, not the caller's older copy."""
    spending = world["spending"]
    stale_view = Spending.objects.get(pk=spending.pk)  # what a PATCH's view read
    Spending.objects.filter(pk=spending.pk).update(note="Intussen gewijzigd")  # a save in between
    services.spending_update(spending=stale_view, amount_cents=30_000)
    assert Spending.objects.filter(pk=spending.pk).values_list("amount_cents", "note").get() == (
        30_000,
        "Intussen gewijzigd",
    )


# --- 2. the evidence delete page --------------------------------------------------------------------


def delete_url(world) -> str:
    return f"/maatregelen/college/D100/merkbaar/{world['evidence'].pk}/verwijderen/"


def confirmation(response) -> dict:
    """Return the hidden version the confirmation page posts back."""
    html = response.content.decode()
    return {k: unescape(v) for k, v in re.findall(r'<input type="hidden" name="(version)" value="([^"]*)"', html)}


def test_the_delete_page_carries_the_version_it_shows(world):
    """The confirmation shows the evidence's text and carries its version in a hidden field."""
    response = browser(world, "nld_directeur").get(delete_url(world))
    assert response.status_code == 200
    assert confirmation(response) == {"version": versions.token(world["evidence"])}
    assert "Eerste versie." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "newer", "named"),
    [
        ("text", "Tweede versie.", "Tekst: nu ‘Tweede versie.’."),
        ("link", "https://example.org/beeld.jpg", "Link: nu ‘https://example.org/beeld.jpg’."),
        ("title", "Een ander verhaal", "Titel: nu ‘Een ander verhaal’."),
    ],
)
def test_a_stale_delete_is_refused_naming_what_changed_and_deletes_once_confirmed_again(world, field, newer, named):
    """Policy changes the evidence while the director's confirmation is open: 409, nothing deleted; again: deleted."""
    evidence = world["evidence"]
    director = browser(world, "nld_directeur")
    shown = confirmation(director.get(delete_url(world)))
    services.evidence_update(
        evidence=Evidence.objects.get(pk=evidence.pk), **{field: newer}, user=world["users"]["nld_beleid"]
    )
    history = evidence.history.count()
    refused = director.post(delete_url(world), shown)
    assert refused.status_code == 409
    html = unescape(refused.content.decode())
    assert "Het merkbare bewijs is intussen gewijzigd door nld_beleid; er is niets verwijderd." in html
    assert named in html
    assert Evidence.objects.filter(pk=evidence.pk).exists() and evidence.history.count() == history
    # The page now shows the evidence as stored with its version; confirming that deletes it, history keeps it.
    again = confirmation(refused)
    assert again == {"version": versions.token(Evidence.objects.get(pk=evidence.pk))}
    assert director.post(delete_url(world), again).status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    last = evidence.history.order_by("-history_date", "-history_id").first()
    assert (last.history_type, getattr(last, field), last.history_user) == ("-", newer, world["users"]["nld_directeur"])


def test_a_delete_without_the_hidden_version_is_compared_with_what_the_session_saw(world):
    """A client that drops the hidden field is still compared with the confirmation its session last showed."""
    evidence = world["evidence"]
    director = browser(world, "nld_directeur")
    assert director.get(delete_url(world)).status_code == 200
    services.evidence_update(evidence=Evidence.objects.get(pk=evidence.pk), text="Tweede versie.")
    assert director.post(delete_url(world)).status_code == 409
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_a_delete_from_an_unchanged_page_deletes(world):
    """Nothing changed since the confirmation was shown: deleted (history keeps it), as before."""
    evidence = world["evidence"]
    director = browser(world, "nld_directeur")
    assert director.post(delete_url(world), confirmation(director.get(delete_url(world)))).status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert evidence.history.first().history_type == "-"


def test_an_unreadable_version_deletes_nothing(world):
    """A forged or damaged version saw nothing: the delete is refused (409), not done blindly."""
    director = browser(world, "nld_directeur")
    assert director.get(delete_url(world)).status_code == 200
    assert director.post(delete_url(world), {"version": "kapot"}).status_code == 409
    assert Evidence.objects.filter(pk=world["evidence"].pk).exists()


def test_an_api_delete_of_a_measure_with_a_stale_if_match_is_refused(world):
    """The API's DELETE honours If-Match for measures too, as for evidence and reviews: 412, nothing deleted.

    Already so before this change (a guard: test_no_lost_updates covers evidence and reviews only).
    """
    measure = world["measure"]
    client = APIClient()
    client.force_authenticate(world["users"]["nld_beleid"])
    url = f"/api/v1/measures/{measure.pk}/"
    old = client.get(url)["ETag"]
    Measure.objects.filter(pk=measure.pk).update(owner="Piet")  # a save by someone else
    stale = client.delete(url, HTTP_IF_MATCH=old)
    assert stale.status_code == 412 and "er is niets verwijderd" in stale.json()["detail"]
    assert Measure.objects.filter(pk=measure.pk).exists()
    assert client.delete(url, HTTP_IF_MATCH=stale["ETag"]).status_code == 204
