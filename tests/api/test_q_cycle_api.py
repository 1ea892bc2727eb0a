"""Q-gesprekken in the API (issue 15, item 4): read by every member, written per college as on the pages."""

import pytest

from agenda.models import College
from maatregelen import services
from maatregelen.models import ActionItem, CheckIn, Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviews(world):
    """Return a Q1 review of A100 with one open action and one check-in, and a Q1 review of B200."""
    a100, b200 = world.college("A100"), world.college("B200")
    review = services.review_create(college=a100, year=2021, quadrimester=1, notes="Q1")
    services.action_create(review=review, description="Coach inzetten", owner="TL")
    services.checkin_record(review=review, indicator=a100.institution.indicators.get(code="vsv"), status="risico")
    return {"a100": review, "b200": services.review_create(college=b200, year=2021, quadrimester=1)}


def test_readers_get_reviews_with_actions_and_check_ins(world, reviews):
    """The board reads every review of its institution with nested actions and check-ins; OTH sees none of them."""
    body = world.client("bestuur").get("/api/v1/reviews/?college=A100").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [(r["college"], r["level"], r["year"], r["quadrimester"]) for r in rows] == [("A100", "college", 2021, 1)]
    assert rows[0]["action_items"][0]["description"] == "Coach inzetten"
    assert rows[0]["check_ins"][0] == {**rows[0]["check_ins"][0], "indicator": "vsv", "status": "risico"}
    other = world.client("oth_beleid").get("/api/v1/reviews/").json()
    assert not (other["results"] if isinstance(other, dict) else other)


def test_a_director_writes_reviews_actions_and_check_ins_of_own_college_only(world, reviews):
    """The A100 director creates a team review and an action; B200 and the institution's review are 403."""
    client = world.client("api_college")
    created = client.post(
        "/api/v1/reviews/", {"college": "A100", "team": "A100-T1", "year": 2021, "quadrimester": 2}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["level"] == "team"
    review_id = created.json()["id"]
    action = client.post(
        "/api/v1/review-actions/",
        {"review": review_id, "description": "Intake verbeteren", "due_on": "2021-09-01", "indicator": "vsv"},
        format="json",
    )
    assert action.status_code == 201, action.content
    assert ActionItem.objects.get(pk=action.json()["id"]).review_id == review_id
    refused = [
        client.post("/api/v1/reviews/", {"college": "B200", "year": 2021, "quadrimester": 2}, format="json"),
        client.post("/api/v1/reviews/", {"year": 2021, "quadrimester": 2}, format="json"),
        client.post("/api/v1/review-actions/", {"review": reviews["b200"].pk, "description": "x"}, format="json"),
        client.post(
            "/api/v1/review-check-ins/",
            {"review": reviews["b200"].pk, "indicator": "vsv", "status": "op_koers"},
            format="json",
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert not Review.objects.filter(year=2021, quadrimester=2, college__code="B200").exists()


def test_the_board_and_read_only_clients_cannot_write(world, reviews):
    """bestuur and a read-only API client get 403 on every Q-cycle write."""
    for username in ("bestuur", "api_read"):
        client = world.client(username)
        assert client.post("/api/v1/reviews/", {"college": "A100", "year": 2022, "quadrimester": 1}).status_code == 403
        assert client.patch(f"/api/v1/reviews/{reviews['a100'].pk}/", {"notes": "x"}).status_code == 403
    assert Review.objects.get(pk=reviews["a100"].pk).notes == "Q1"


def test_follow_up_and_check_in_through_the_api(world, reviews):
    """A Q2 review follows up Q1's action (its status changes); a check-in PATCH changes only status and note."""
    client = world.client("directeur")
    q2 = client.post("/api/v1/reviews/", {"college": "A100", "year": 2021, "quadrimester": 2}, format="json").json()
    action = reviews["a100"].action_items.get()
    follow = client.post(
        "/api/v1/review-follow-ups/",
        {"action": action.pk, "review": q2["id"], "status": "gereed", "note": "Klaar"},
        format="json",
    )
    assert follow.status_code == 201, follow.content
    action.refresh_from_db()
    assert action.status == "gereed"
    backwards = client.post(
        "/api/v1/review-follow-ups/",
        {"action": action.pk, "review": reviews["a100"].pk, "status": "open"},
        format="json",
    )
    assert backwards.status_code == 400 and "status" in backwards.json()
    check_in = CheckIn.objects.get(review=reviews["a100"])
    patched = client.patch(f"/api/v1/review-check-ins/{check_in.pk}/", {"status": "op_koers"}, format="json")
    assert patched.status_code == 200 and patched.json()["status"] == "op_koers"


def test_invalid_q_cycle_input_is_refused_in_dutch(world, reviews):
    """A duplicate quadrimester, a year outside the period and an unknown status are 400 with Dutch messages."""
    client = world.client("beleid")
    duplicate = client.post("/api/v1/reviews/", {"college": "A100", "year": 2021, "quadrimester": 1}, format="json")
    assert duplicate.status_code == 400 and "al een Q-gesprek" in duplicate.json()["quadrimester"][0]
    early = client.post("/api/v1/reviews/", {"college": "A100", "year": 2010, "quadrimester": 1}, format="json")
    assert early.status_code == 400 and "tussen" in early.json()["year"][0]
    moved = client.patch(f"/api/v1/reviews/{reviews['a100'].pk}/", {"college": "B200"}, format="json")
    assert moved.status_code == 400
    institution = client.post("/api/v1/reviews/", {"year": 2021, "quadrimester": 3}, format="json")
    assert institution.status_code == 201 and institution.json()["level"] == "instelling"
    assert College.objects.filter(code="A100").exists()


def test_the_schema_documents_the_q_cycle(world):
    """The OpenAPI schema lists the review, action, follow-up and check-in endpoints."""
    schema = world.client("bestuur").get("/api/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    for path in (
        "/api/v1/reviews/",
        "/api/v1/review-actions/",
        "/api/v1/review-follow-ups/",
        "/api/v1/review-check-ins/",
    ):
        assert path in text
