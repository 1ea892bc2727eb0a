"""The mid-term pack keeps the history of an explanatory factor after the agenda file removed it.

FactorRevision.factor is SET_NULL so that a removed factor's history is kept (domain.md, "The
agenda changes over time"), but the pack read that history through the factor: a factor revised
in the application and then removed by a file that wins lost its reasons and its removal from
"Wat is er veranderd en waarom".
"""

import copy

import pytest

from agenda.models import Factor, FactorRevision, Indicator
from agenda.services import agenda_load, factor_save
from rapportage import documents
from rapportage.docx_render import render_docx
from tests.rapportage.test_agenda_edges import agenda as small_agenda

pytestmark = pytest.mark.django_db
REASON = "Herijking 2020: de toelatingsregel speelt geen rol meer"


def agenda(factors: list[dict]) -> dict:
    """Return a small agenda whose one indicator, vsv, has these factors."""
    vsv = {
        "code": "vsv",
        "name": "Voortijdig schoolverlaten",
        "unit": "percent",
        "polarity": "lower",
        "levels": ["institution"],
        "baseline": {"year": 2018, "value": 6},
        "ambitions": [{"year": 2020, "type": "maintain"}],
        "factors": copy.deepcopy(factors),
    }
    return small_agenda("FACHIST", [vsv], 1000)


def test_a_removed_factors_reasons_and_removal_stay_in_the_midterm_pack():
    """Revised on the policy page, then removed by the file: both reasons are in the pack, under vsv."""
    institution = agenda_load(data=agenda([{"name": "Toelatingsrecht", "effect": "-"}])).institution
    vsv = Indicator.objects.get(institution=institution, code="vsv")
    factor = Factor.objects.get(indicator=vsv, name="Toelatingsrecht")
    factor_save(indicator=vsv, factor=factor, name="Toelatingsrecht", effect="+", reason=REASON)
    agenda_load(data=agenda([]), file_wins=True)
    assert not Factor.objects.filter(indicator=vsv).exists()
    assert FactorRevision.objects.filter(indicator=vsv, factor=None).count() >= 2

    pack = documents.midterm_pack(institution)
    reasons = [revision.reason for revision in pack.content["factor_revisions"]]
    assert REASON in reasons
    assert any(reason.startswith("verwijderd bij indicator vsv") for reason in reasons), reasons
    rows = [[cell.text for cell in row] for row in pack.content["factors_table"].rows]
    assert any(row[0] == "vsv" and "Toelatingsrecht" in row[1] for row in rows), rows
    assert render_docx(pack)  # the Word file renders the same rows
