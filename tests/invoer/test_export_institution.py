"""A backup (export_institution) loads into an empty database and gives identical verdicts."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from agenda.models import Ambition, Institution
from rapportage.selectors import budget_body, status_body
from rapportage.services import recompute_now

pytestmark = pytest.mark.django_db


def everything(institution) -> dict:
    """Return every stored status (both ambition versions) and budget of the institution."""
    years = list(institution.years)
    return {
        "status": {(y, v): status_body(institution, y, v) for y in years for v in ("current", "original")},
        "budget": {y: budget_body(institution, y) for y in years},
        "cli": [json.loads(_run("agenda_status", "--year", str(y), "--format", "json")) for y in years],
    }


def _run(*args) -> str:
    """Run a management command and return its output."""
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_export_into_an_empty_database_gives_identical_verdicts(rocvaf_demo, tmp_path):
    """Export, wipe the database, load agenda.yaml and data.csv: the same JSON, herijking included."""
    before = everything(rocvaf_demo)
    revisions = sorted(Ambition.objects.values_list("indicator__code", "year", "revision", "type", "target"))
    _run("export_institution", str(tmp_path))
    call_command("flush", "--noinput", verbosity=0)
    assert not Institution.objects.exists()

    _run("load_agenda", str(tmp_path / "agenda.yaml"))
    _run("import_benchmark", str(tmp_path / "data.csv"), "--restore", "--note", "hersteld uit back-up")
    institution = Institution.objects.get(code="ROCVAF")
    recompute_now(institution=institution, reason="hersteld")
    assert sorted(Ambition.objects.values_list("indicator__code", "year", "revision", "type", "target")) == revisions
    after = everything(institution)
    assert after["cli"] == before["cli"]
    assert after["status"] == before["status"]
    assert after["budget"] == before["budget"]
