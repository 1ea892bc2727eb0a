"""Two edges of a freshly loaded agenda: no indicator yet, and a budget the database cannot hold.

domain.md: "A theme with K = 0 has no result-dependent part"; an agenda with themes and a budget
but no indicator yet still has a budget split. contracts.md section 1: the loader reports every
problem with its path.
"""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from agenda.models import Institution
from agenda.services import agenda_load
from kern.rules import MAX_CENTS
from rapportage.choices import RunState
from rapportage.models import BudgetResult
from rapportage.services import recompute_now

pytestmark = pytest.mark.django_db


def agenda(code: str, indicators: list[dict], total_eur) -> dict:
    """Return a one-college, one-theme agenda with one budget year (2020)."""
    return {
        "institution": {"code": code, "name": f"Instelling {code}"},
        "period": {"start": 2019, "end": 2022},
        "colleges": [{"code": "A", "name": "College A"}],
        "themes": [
            {
                "code": "T1",
                "name": "Thema 1",
                "national": True,
                "budget_share_pct": 100,
                "ambition": "a",
                "goals": ["g"],
                "indicators": indicators,
            }
        ],
        "budget": [{"year": 2020, "total_eur": total_eur, "result_dependent_pct": 25, "central_pct": 0}],
    }


def test_an_agenda_without_indicators_gets_its_budget_split_all_fixed():
    """Before, the recompute failed for good (EmptyResultSet) and every page read 'verouderd'."""
    agenda_load(data=agenda("LEEG1", [], "1000.01"))
    institution = Institution.objects.get(code="LEEG1")
    run = recompute_now(institution=institution, reason="test")
    assert run.state == RunState.DONE, run.error
    payload = BudgetResult.objects.get(institution=institution, year=2020).payload
    assert payload["total_cents"] == 100001
    (theme,) = payload["themes"]
    (college,) = theme["colleges"]
    assert (college["fixed_cents"], college["result_dependent_cents"]) == (100001, 0)


def test_a_budget_beyond_what_storage_holds_is_an_error_with_its_path(tmp_path):
    """10**17 euro: the loader's Dutch error list names budget[0].total_eur; nothing is stored."""
    path = tmp_path / "te-groot.yaml"
    path.write_text(yaml.safe_dump(agenda("GROOT1", [], 10**17)))
    with pytest.raises(CommandError) as refused:
        call_command("load_agenda", str(path), stdout=StringIO(), stderr=StringIO())
    assert "budget[0].total_eur" in str(refused.value)
    assert not Institution.objects.filter(code="GROOT1").exists()
    # The largest amount storage holds still loads.
    largest = f"{MAX_CENTS // 100}.{MAX_CENTS % 100:02d}"
    path.write_text(yaml.safe_dump(agenda("GROOT2", [], largest)))
    call_command("load_agenda", str(path), stdout=StringIO(), stderr=StringIO())
    assert Institution.objects.get(code="GROOT2").budget_years.get().total_cents == MAX_CENTS
