"""A code in the admin decides cents in an approved year: renaming it moves them without a refusal.

domain.md, "The reserve" step 1 and "Fine print": a college's result-dependent amount R is divided
over the K indicators of the theme in *code order*, "the first R % K of them one cent more"; and a
budget's theme amounts are split by largest remainder, ties in theme code order
(rapportage.engine.budget). agenda.models.indicator_reaches and theme_reaches compare theme,
polarity, levels, baseline, share and `national`, not the code; the admin (IndicatorAdmin,
ThemeAdmin, CollegeAdmin) lets policy staff edit the code; a year's amount is split over the colleges
by largest remainder too, ties in college code order. After 2020 was approved (vastgesteld), renaming
indicator `vsv` to `zsv` moved one cent of college SCA1's 2020 money from released to reserved
(domain.md, "Sign-off and locking": approved years change only after a reopen, on every channel).
"""

import copy
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from agenda.choices import Role
from agenda.models import College, Indicator, Membership, Theme
from agenda.services import agenda_load
from indicatoren.services import measurement_record
from indicatoren.signoff import signoff_approve
from rapportage.choices import RunState
from rapportage.models import RecomputeRun
from rapportage.services import evaluate_institution
from tests.agenda.admin_forms import form_data
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db


def _world(code: str, *, equal_shares: bool = False, colleges: int = 1):
    """Return an institution with 2020 approved, and a client of its policy staff.

    Colleges <code>1.. without student numbers (equal weights); theme T1 with `vsv` (met by
    college <code>1 in 2020) and `vsw` (not met); an odd 2020 total, so there are cents to spare.
    """
    data = agenda_spec(code, [f"{code}{i}" for i in range(1, colleges + 1)])
    theme = data["themes"][0]
    first = theme["indicators"][0]
    first["levels"] = ["college", "institution"]
    second = copy.deepcopy(first)
    second["code"], second["name"] = "vsw", "Tweede indicator"
    theme["indicators"].append(second)
    if equal_shares:
        data["themes"][0]["budget_share_pct"] = data["themes"][1]["budget_share_pct"] = 50
    data["budget"] = [{"year": 2020, "total_eur": "1000001.01", "result_dependent_pct": 25}]
    inst = agenda_load(data=data, source="test").institution
    college = College.objects.get(institution=inst, code=f"{code}1")
    for indicator, value in (("vsv", "6.0"), ("vsw", "9.0")):
        measurement_record(
            indicator=Indicator.objects.get(institution=inst, code=indicator),
            year=2020,
            value=Decimal(value),
            college=college,
        )
    staff = get_user_model().objects.create_user(f"{code.lower()}_beleid", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="agenda"))
    Membership.objects.create(user=staff, institution=inst, role=Role.POLICY)
    RecomputeRun.objects.filter(institution=inst, finished_at__isnull=True).update(
        state=RunState.DONE, finished_at=timezone.now()
    )
    signoff_approve(institution=inst, year=2020, user=staff)
    client = Client()
    client.force_login(staff)
    return inst, client


def _save_with_code(client, url: str, code: str):
    data = form_data(client, url)
    data["code"] = code
    return client.post(url, data)


def test_renaming_an_indicator_in_an_approved_year_is_refused_or_moves_no_cent():
    """vsv (met) is first in code order and gets C1's spare cent; renamed zsv it no longer does."""
    inst, client = _world("SCA")
    before = evaluate_institution(inst)["budgets"][2020]
    vsv = Indicator.objects.get(institution=inst, code="vsv")
    response = _save_with_code(client, f"/admin/agenda/indicator/{vsv.pk}/change/", "zsv")
    after = evaluate_institution(inst)["budgets"][2020]
    money = [
        [(c["released_cents"], c["reserved_cents"]) for c in payload["themes"][0]["colleges"]]
        for payload in (before, after)
    ]
    assert money[1] == money[0], (
        f"status {response.status_code}: approved 2020's (released, reserved) cents of SCA1 went {money[0]} -> "
        f"{money[1]} by renaming an indicator in the admin"
    )


def test_renaming_a_theme_in_an_approved_year_is_refused_or_moves_no_cent():
    """Two themes of 50 % split an odd total: the spare cent goes to the first code (T1); renamed T9, to T2."""
    inst, client = _world("SCB", equal_shares=True)
    before = evaluate_institution(inst)["budgets"][2020]
    theme = Theme.objects.get(institution=inst, code="T1")
    response = _save_with_code(client, f"/admin/agenda/theme/{theme.pk}/change/", "T9")
    after = evaluate_institution(inst)["budgets"][2020]
    amounts = [[t["amount_cents"] for t in payload["themes"]] for payload in (before, after)]
    assert amounts[1] == amounts[0], (
        f"status {response.status_code}: approved 2020's amounts of (T1, T2) went {amounts[0]} -> {amounts[1]} "
        "by renaming a theme in the admin"
    )


def test_renaming_a_college_in_an_approved_year_is_refused_or_moves_no_cent():
    """Two colleges of equal weight split T1's odd amount: the spare cent goes to SCC1; renamed SCC9, to SCC2."""
    inst, client = _world("SCC", colleges=2)
    before = evaluate_institution(inst)["budgets"][2020]
    college = College.objects.get(institution=inst, code="SCC1")
    response = _save_with_code(client, f"/admin/agenda/college/{college.pk}/change/", "SCC9")
    after = evaluate_institution(inst)["budgets"][2020]
    amounts = [
        {c["college"]: c["amount_cents"] for c in payload["themes"][0]["colleges"]} for payload in (before, after)
    ]
    assert amounts[1].get("SCC2") == amounts[0]["SCC2"], (
        f"status {response.status_code}: approved 2020's T1 amounts went {amounts[0]} -> {amounts[1]} "
        "by renaming a college in the admin"
    )
