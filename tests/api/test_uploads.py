"""POST /api/v1/uploads/ and GET /api/v1/uploads/{id}/: accepted, rejected, the record and its recompute."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from indicatoren.models import Measurement, Upload
from rapportage.models import IndicatorResult, RecomputeRun, RunState

pytestmark = pytest.mark.django_db

GOOD = "jaar;indicator;college;team;waarde;n\n2020;vsv;A100;A100-T1;6,1;40\n2020;vsv;B200;B200-T1;5,9%;35\n2020;vsv;;;6,4;\n"


def post_file(client, content: str | bytes, name: str = "benchmark.csv", **fields):
    """Post a file as the multipart field `file`."""
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/api/v1/uploads/",
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields},
        format="multipart",
    )


def values(inst) -> list:
    """Return every stored value of the institution."""
    return sorted(
        Measurement.objects.filter(indicator__institution=inst).values_list("id", "year", "college", "team", "value")
    )


def test_accepted_upload_returns_id_status_rows_and_recomputes(world, django_capture_on_commit_callbacks):
    """A valid file: 201 {"id", "status": "accepted", "rows": 3}; the values are stored and the verdicts recomputed."""
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(world.client("beleid"), GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["rows"], body["rows_new"], body["channel"]) == ("accepted", 3, 3, "api")
    upload = Upload.objects.get(pk=body["id"])
    assert upload.uploaded_by == world.users["beleid"] and upload.institution == world.inst
    stored = Measurement.objects.filter(upload=upload)
    assert sorted(stored.values_list("value", flat=True)) == [Decimal("5.9"), Decimal("6.1"), Decimal("6.4")]
    assert IndicatorResult.objects.filter(institution=world.inst, year=2020).exists()

    record = world.client("beleid").get(f"/api/v1/uploads/{body['id']}/").json()
    assert (record["id"], record["status"], record["rows"], record["uploaded_by"]) == (
        body["id"],
        "accepted",
        3,
        "beleid",
    )
    run = RecomputeRun.objects.get(pk=record["recompute"]["id"])
    assert record["recompute"]["state"] == run.state == RunState.DONE
    assert record["recompute"]["error"] == ""
    assert record["recompute"]["finished_at"] is not None


def test_rejected_upload_lists_every_error_and_stores_no_value(world):
    """A bad file: 400 {"status": "rejected", "errors": [{row, column, value, message}]}; no value stored."""
    before = values(world.inst)
    bad = "jaar;indicator;college;team;waarde\n2020;vsv;A100;A100-T1;6,1\n2020;vsv;A100;A100-T2;abc\n2020;xyz;;;5\n"
    response = post_file(world.client("beleid"), bad)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "rejected"
    errors = {(e["row"], e["column"], e["value"]) for e in body["errors"]}
    assert (3, "waarde", "abc") in errors
    assert (4, "indicator", "xyz") in errors
    assert all(e["message"] for e in body["errors"])
    assert values(world.inst) == before
    # The rejection is on record (an audit trail) and can be fetched by its id.
    record = world.client("beleid").get(f"/api/v1/uploads/{body['id']}/").json()
    assert record["status"] == "rejected" and record["recompute"] is None
    assert {(e["row"], e["column"]) for e in record["errors"]} >= {(3, "waarde"), (4, "indicator")}


def test_missing_or_oversized_file_is_rejected(world, settings):
    """No `file` field, or a file over UPLOAD_MAX_BYTES: 400 in the same rejected shape."""
    client = world.client("beleid")
    before = values(world.inst)
    response = client.post("/api/v1/uploads/", {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["status"] == "rejected"
    assert "file" in response.json()["errors"][0]["message"]
    settings.UPLOAD_MAX_BYTES = 20
    response = post_file(client, GOOD)
    assert response.status_code == 400
    assert "te groot" in response.json()["errors"][0]["message"]
    assert values(world.inst) == before


def test_director_uploads_for_their_own_college_only(world):
    """A director names their college; a row of another college in the file is an error, not a write."""
    before = values(world.inst)
    response = post_file(world.client("directeur"), GOOD, college="A100")
    assert response.status_code == 400
    assert values(world.inst) == before
    own = "jaar;indicator;college;team;waarde\n2020;vsv;A100;A100-T2;6,3\n"
    response = post_file(world.client("directeur"), own, college="A100")
    assert response.status_code == 201, response.content
    assert response.json()["scope_college"] == "A100"


def test_upload_records_are_private_to_policy_and_the_uploader(world):
    """Policy staff see every upload of the institution; others only their own; another institution none."""
    own = "jaar;indicator;college;team;waarde\n2020;vsv;A100;A100-T2;6,3\n"
    upload_id = post_file(world.client("directeur"), own, college="A100").json()["id"]
    assert world.client("directeur").get(f"/api/v1/uploads/{upload_id}/").status_code == 200
    assert world.client("beleid").get(f"/api/v1/uploads/{upload_id}/").status_code == 200
    assert world.client("bestuur").get(f"/api/v1/uploads/{upload_id}/").status_code == 404
    assert world.client("oth_beleid").get(f"/api/v1/uploads/{upload_id}/").status_code == 404
    assert world.client(None).get(f"/api/v1/uploads/{upload_id}/").status_code == 401


def test_failed_recompute_is_shown_with_its_error(world):
    """The record shows a failed recompute's state, error and finish time."""
    run = RecomputeRun.objects.create(institution=world.inst, state=RunState.FAILED, error="ValueError: kapot")
    RecomputeRun.objects.filter(pk=run.pk).update(finished_at=run.requested_at)
    upload = Upload.objects.create(
        institution=world.inst,
        uploaded_by=world.users["beleid"],
        original_name="x.csv",
        checksum="0" * 64,
        status="accepted",
        recompute_run=run,
    )
    recompute = world.client("beleid").get(f"/api/v1/uploads/{upload.pk}/").json()["recompute"]
    assert (recompute["state"], recompute["error"]) == ("failed", "ValueError: kapot")
    assert recompute["finished_at"] is not None
