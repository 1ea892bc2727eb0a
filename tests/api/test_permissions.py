"""Who may write what through the API: role x endpoint x target college, with the database checked."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from agenda.choices import Level
from indicatoren.models import Measurement, Upload
from maatregelen.models import Evidence, Measure

pytestmark = pytest.mark.django_db

ALL = "all"
# What each role may write (agenda/permissions.py): a set of college codes, or ALL (also ROC-wide rows).
WRITES = {
    "bestuur": set(),
    "directeur": {"A100"},
    "beleid": ALL,
    "api_read": set(),
    "api_college": {"A100"},
    "api_all": ALL,
    "api_college_readonly": set(),
    "nobody": set(),
}
TARGETS = ["A100", "B200", None]  # a college of the caller, another college, ROC-wide / institution level


def snapshot() -> tuple:
    """Return everything the write endpoints could change, to compare before and after."""
    return (
        sorted(Measurement.objects.values_list("id", "indicator_id", "year", "college_id", "team_id", "value", "n")),
        sorted(Measure.objects.values_list("id", "college_id", "title", "status")),
        sorted(Evidence.objects.values_list("id", "college_id", "team_id", "title")),
        sorted(Upload.objects.values_list("id", "status")),
        Measurement.history.count(),
    )


def measurement_of(target) -> Measurement:
    """Return the seeded 2018 vsv value of the target: team T1 of a college, or the institution value.

    2018, not the baseline year 2017: baseline values are policy staff's only (issue 12).
    """
    rows = Measurement.objects.filter(indicator__institution__code="TST", indicator__code="vsv", year=2018)
    if target is None:
        return rows.get(level=Level.INSTITUTION)
    return rows.get(level=Level.TEAM, team__code=f"{target}-T1")


def measure_of(target) -> Measure:
    """Return the seeded measure of the target college, or the ROC-wide one."""
    return (
        Measure.objects.get(institution__code="TST", college__code=target)
        if target
        else Measure.objects.get(institution__code="TST", college__isnull=True)
    )


def evidence_of(target) -> Evidence:
    """Return the seeded evidence of the target college, or the ROC-wide one."""
    return (
        Evidence.objects.get(institution__code="TST", college__code=target)
        if target
        else Evidence.objects.get(institution__code="TST", college__isnull=True)
    )


def benchmark_file(target) -> bytes:
    """Return a valid one-row benchmark file for a team of the target college, or the institution."""
    unit = f"{target};{target}-T2" if target else ";"
    return f"jaar;indicator;college;team;waarde\n2020;vsv;{unit};5,9\n".encode()


ACTIONS = {
    "measurement-create": (
        201,
        lambda c, t: c.post(
            "/api/v1/measurements/",
            {"indicator": "vsv", "year": 2020, "team": f"{t}-T2" if t else None, "value": "6.1"},
            format="json",
        ),
    ),
    "measurement-update": (
        200,
        lambda c, t: c.patch(f"/api/v1/measurements/{measurement_of(t).pk}/", {"value": "6.2"}, format="json"),
    ),
    "measurement-delete": (204, lambda c, t: c.delete(f"/api/v1/measurements/{measurement_of(t).pk}/")),
    "measure-create": (
        201,
        lambda c, t: c.post(
            "/api/v1/measures/",
            {"theme": "T1", "college": t, "title": "Nieuwe maatregel", "category": "programma"},
            format="json",
        ),
    ),
    "measure-update": (
        200,
        lambda c, t: c.patch(f"/api/v1/measures/{measure_of(t).pk}/", {"title": "Gewijzigd"}, format="json"),
    ),
    "measure-delete": (204, lambda c, t: c.delete(f"/api/v1/measures/{measure_of(t).pk}/")),
    "evidence-create": (
        201,
        lambda c, t: c.post(
            "/api/v1/evidence/",
            {"theme": "T1", "college": t, "year": 2020, "kind": "verhaal", "title": "Nieuw verhaal"},
            format="json",
        ),
    ),
    "evidence-update": (
        200,
        lambda c, t: c.patch(f"/api/v1/evidence/{evidence_of(t).pk}/", {"title": "Gewijzigd"}, format="json"),
    ),
    "evidence-delete": (204, lambda c, t: c.delete(f"/api/v1/evidence/{evidence_of(t).pk}/")),
    "upload": (
        201,
        lambda c, t: c.post(
            "/api/v1/uploads/",
            {"file": _named(benchmark_file(t)), **({"college": t} if t else {})},
            format="multipart",
        ),
    ),
}


def _named(data: bytes):
    """Return the bytes as an uploaded file object with a name."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("bench.csv", data, content_type="text/csv")


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", list(WRITES))
def test_role_writes_only_where_allowed(world, role, action):
    """Each role writes exactly the colleges the pages allow; a refusal is 403 and leaves the database as it was."""
    client = world.client(role)
    success, call = ACTIONS[action]
    for target in TARGETS:
        allowed = WRITES[role] == ALL or (target is not None and target in WRITES[role])
        before = snapshot()
        response = call(client, target)
        if allowed:
            assert response.status_code == success, (target, response.content)
            assert snapshot() != before, target
        else:
            assert response.status_code == 403, (target, response.status_code, response.content)
            assert snapshot() == before, target


@pytest.mark.parametrize("action", list(ACTIONS))
def test_anonymous_cannot_write(world, action):
    """Without a token every write is 401 and nothing changes."""
    _, call = ACTIONS[action]
    for target in TARGETS:
        before = snapshot()
        response = call(world.client(None), target)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert snapshot() == before


@pytest.mark.parametrize("action", [a for a in ACTIONS if a.endswith(("update", "delete"))])
def test_policy_of_another_institution_cannot_touch_rows(world, action):
    """Policy staff of OTH get 404 for TST's rows (they do not exist for them) and change nothing."""
    _, call = ACTIONS[action]
    for target in TARGETS:
        before = snapshot()
        assert call(world.client("oth_beleid"), target).status_code == 404
        assert snapshot() == before


@pytest.mark.parametrize("action", [a for a in ACTIONS if a.endswith("create")])
def test_policy_of_another_institution_cannot_use_foreign_codes(world, action):
    """Codes of another institution's colleges and teams are unknown to the caller: 400, nothing stored."""
    _, call = ACTIONS[action]
    before = snapshot()
    response = call(world.client("oth_beleid"), "A100")
    assert response.status_code == 400, response.content
    assert snapshot() == before


def test_director_cannot_move_a_measure_to_another_college(world):
    """A director may edit their own measure but not hand it to another college."""
    measure = measure_of("A100")
    before = snapshot()
    response = world.client("directeur").patch(f"/api/v1/measures/{measure.pk}/", {"college": "B200"}, format="json")
    assert response.status_code == 403
    assert snapshot() == before


def test_director_cannot_file_evidence_for_a_team_of_another_college(world):
    """Evidence for a team is evidence for the team's college: B200-T1 is refused to the A100 director."""
    before = snapshot()
    response = world.client("directeur").post(
        "/api/v1/evidence/",
        {"theme": "T1", "team": "B200-T1", "year": 2020, "kind": "verhaal", "title": "Niet van mij"},
        format="json",
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_director_write_keeps_history_and_asks_for_recompute(world, django_capture_on_commit_callbacks):
    """A director's value goes through measurements_apply: history records the user, a recompute follows."""
    from rapportage.models import RecomputeRun

    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("directeur").post(
            "/api/v1/measurements/", {"indicator": "vsv", "year": 2020, "team": "A100-T1", "value": "5.5", "n": 30}
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["team"], body["college"], body["level"], body["value"], body["n"]) == (
        "A100-T1",
        "A100",
        "team",
        5.5,
        30,
    )
    stored = Measurement.objects.get(pk=body["id"])
    assert stored.value == Decimal("5.5") and stored.updated_by == world.users["directeur"]
    assert stored.history.latest().history_user == world.users["directeur"]
    assert RecomputeRun.objects.filter(institution=world.inst).exists()


def test_revoked_token_gets_401(world):
    """After `api_token revoke` the old key no longer works."""
    client = world.client("beleid")
    assert client.get("/api/v1/colleges/").status_code == 200
    call_command("api_token", "revoke", "beleid", stdout=StringIO())
    assert not Token.objects.filter(user=world.users["beleid"]).exists()
    response = client.get("/api/v1/colleges/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Ongeldige token."}
