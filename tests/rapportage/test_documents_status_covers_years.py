"""A document the board signs is *vastgesteld* only when every figure it prints is (domain.md, "Sign-off and locking").

The mid-term pack prints the verdicts of its two years and the budget of both; the annual report the
verdicts and the budget of its year, and that budget moves with every earlier budget year's verdicts
(domain.md, "The reserve"). Review of 2026-12-02: the pack said vastgesteld while its first year was open.
"""

import pytest

from agenda.choices import Role
from indicatoren.signoff import signoff_approve
from rapportage.documents import annual_report, midterm_pack
from rapportage.services import recompute_now
from tests.indicatoren.signoff_world import RESERVE_VALUES, build, person

pytestmark = pytest.mark.django_db


def test_the_midterm_pack_is_voorlopig_while_one_of_its_years_is_open():
    inst = build("HLM", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    signoff_approve(institution=inst, year=2020, user=boss)  # 2019 stays open
    recompute_now(institution=inst, reason="test")
    pack = midterm_pack(inst)
    assert pack.years == [2019, 2020]
    assert pack.data_status == "voorlopig"
    signoff_approve(institution=inst, year=2019, user=boss)
    recompute_now(institution=inst, reason="test")
    assert midterm_pack(inst).data_status == "vastgesteld"


def test_the_annual_report_of_a_budget_year_rests_on_the_earlier_budget_years():
    inst = build("HLN", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    signoff_approve(institution=inst, year=2021, user=boss)  # the 2020 budget year stays open
    recompute_now(institution=inst, reason="test")
    assert annual_report(inst, 2021).data_status == "voorlopig"
    signoff_approve(institution=inst, year=2020, user=boss)
    recompute_now(institution=inst, reason="test")
    assert annual_report(inst, 2021).data_status == "vastgesteld"
    # 2022 has no budget row: its report prints no money, only its own verdicts.
    signoff_approve(institution=inst, year=2022, user=boss)
    recompute_now(institution=inst, reason="test")
    assert annual_report(inst, 2022).data_status == "vastgesteld"
