"""*Vastgesteld* is said only of figures that can no longer move (domain.md, "Sign-off and locking").

Review of 2026-12-02: an approved budget year moved with an open earlier year (the reserve, borrowed
student numbers) while labelled vastgesteld; verdicts computed before the last correction were served
as vastgesteld; the grid called a college's verdicts vastgesteld while every page said voorlopig; a
reopen reason of zero-width spaces was accepted.
"""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import College, Indicator, Team
from indicatoren.models import SignoffEvent, StudentCount
from indicatoren.selectors import budget_status, data_status
from indicatoren.services import MeasurementRow, YearLocked, measurements_apply, student_counts_apply, write_refusal
from indicatoren.signoff import signoff_approve, signoff_reopen
from kern.signals import announce_change
from kern.text import visible_length
from rapportage.selectors import budget_body, status_body
from rapportage.services import recompute_now
from tests.indicatoren.signoff_world import RESERVE_VALUES, build, person

pytestmark = pytest.mark.django_db


def api_for(account) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=account).key}")
    return client


def part(body: dict, college: str) -> dict:
    theme = next(t for t in body["themes"] if t["theme"] == "T1")
    return next(c for c in theme["colleges"] if c["college"] == college)


def team_rows(inst, college: str, year: int, value: str) -> list[MeasurementRow]:
    vsv = Indicator.objects.get(institution=inst, code="vsv")
    return [
        MeasurementRow(
            indicator=vsv,
            year=year,
            team=Team.objects.get(institution=inst, code=f"{college}-T{i}"),
            value=Decimal(value),
            n=40,
            note="correctie",
        )
        for i in (1, 2)
    ]


# --- 1. A budget year rests on every earlier budget year (the reserve) ---------------------------


def test_an_approved_budget_year_is_voorlopig_while_an_earlier_budget_year_is_open():
    inst = build("HLA", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    signoff_approve(institution=inst, year=2021, user=boss)  # 2020 stays open
    recompute_now(institution=inst, reason="test")
    before = budget_body(inst, 2021)
    assert part(before, "A1")["released_from_reserve_cents"] > 0  # 2021 releases A1's 2020 portion
    # The verdicts of 2021 rest on 2021 and its (locked) baseline only: they are vastgesteld.
    assert status_body(inst, 2021)["data_status"] == "vastgesteld"
    # Its money moves with 2020's verdicts, which can still change: voorlopig, on every channel.
    assert before["data_status"] == "voorlopig"
    api = api_for(boss)
    assert api.get("/api/v1/budget/?year=2021&institution=HLA").json()["data_status"] == "voorlopig"
    # Correcting open 2020 goes through, and it moves 2021's money: that is why 2021 said voorlopig.
    measurements_apply(institution=inst, rows=team_rows(inst, "A1", 2020, "6.5"), user=boss)
    recompute_now(institution=inst, reason="test")
    after = budget_body(inst, 2021)
    assert part(after, "A1")["released_from_reserve_cents"] != part(before, "A1")["released_from_reserve_cents"]
    assert after["data_status"] == "voorlopig"


def test_the_budget_is_vastgesteld_once_every_earlier_budget_year_is_and_reopening_one_changes_its_etag():
    inst = build("HLE", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    for year in (2020, 2021):
        signoff_approve(institution=inst, year=year, user=boss)
    recompute_now(institution=inst, reason="test")
    assert budget_status(inst, 2021) == "vastgesteld"
    api = api_for(boss)
    path = "/api/v1/budget/?year=2021&institution=HLE"
    first = api.get(path)
    assert first.json()["data_status"] == "vastgesteld"
    # Reopening 2020 touches no row of 2021, yet 2021's body changes: its ETag must too.
    signoff_reopen(institution=inst, year=2020, user=boss, reason="DUO-correctie 2020")
    again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert again.json()["data_status"] == "voorlopig"
    # A year without a budget row has no money: its status is that of its verdicts alone.
    signoff_approve(institution=inst, year=2022, user=boss)
    recompute_now(institution=inst, reason="test")
    assert budget_status(inst, 2022) == data_status(inst, 2022) == "vastgesteld"


# --- 1. Student numbers a later approved budget year borrows are locked with it ------------------


def test_student_numbers_borrowed_by_an_approved_budget_year_are_locked_with_it():
    inst = build("HLB", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    a1, b2 = (College.objects.get(institution=inst, code=code) for code in ("A1", "B2"))
    signoff_approve(institution=inst, year=2021, college=a1, user=boss)  # 2021 splits by 2020's numbers
    with pytest.raises(YearLocked) as refused:
        student_counts_apply(institution=inst, counts={(a1, 2020): 5000}, user=boss)
    message = refused.value.messages[0]
    assert refused.value.http_status == 409
    assert message.startswith("Studentaantal A1 2020: het budget van 2021 verdeelt met dit aantal")
    assert "het jaar 2021 is voor college A1 vastgesteld op" in message and "heropent" in message
    assert StudentCount.objects.get(college=a1, year=2020).count == 1000  # nothing written
    # The previews (upload dry run) say the same.
    assert isinstance(write_refusal(inst, [], students={(a1, 2020): 5000}), YearLocked)
    # With A1's latest numbers from before the period (2018), 2021 reads those: locked, though 2018 can
    # never be approved, and so is a new count of 2019, which 2021 would read instead.
    StudentCount.objects.filter(college=a1, year=2020).delete()
    StudentCount.objects.create(college=a1, year=2018, count=900)
    for year in (2018, 2019):
        with pytest.raises(YearLocked):
            student_counts_apply(institution=inst, counts={(a1, year): 950}, user=boss)
    # Numbers behind the ones 2021 reads move nothing: free.
    StudentCount.objects.create(college=a1, year=2020, count=1000)
    student_counts_apply(institution=inst, counts={(a1, 2018): 950, (a1, 2019): 950}, user=boss)
    # Another college's numbers follow its own approval (B2's 2021 is open).
    student_counts_apply(institution=inst, counts={(b2, 2020): 2000}, user=boss)
    assert StudentCount.objects.get(college=b2, year=2020).count == 2000


def test_once_the_budget_year_has_its_own_numbers_the_earlier_ones_are_free_again():
    inst = build("HLF", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    a1 = College.objects.get(institution=inst, code="A1")
    student_counts_apply(institution=inst, counts={(a1, 2021): 1100}, user=boss)
    signoff_approve(institution=inst, year=2021, college=a1, user=boss)
    student_counts_apply(institution=inst, counts={(a1, 2020): 5000}, user=boss)
    assert StudentCount.objects.get(college=a1, year=2020).count == 5000


# --- 2. Verdicts computed before the last correction are not served as vastgesteld ---------------


def test_approving_before_the_recompute_ran_serves_voorlopig_until_it_has():
    values = {
        (2020, f"{college}-T{i}"): ("8" if college == "C3" else "6.5") for college in "A1 B2 C3".split() for i in (1, 2)
    }
    inst = build("HLC", values)
    recompute_now(institution=inst, reason="test")
    boss = person(inst, "beleid", Role.POLICY)
    b2 = College.objects.get(institution=inst, code="B2")
    api = api_for(boss)
    path = "/api/v1/indicators/vsv/status/?year=2020&institution=HLC"
    assert api.get(path).json()["attained"] is True  # A1 and B2 of three colleges met
    # B2's director corrects 2020 (B2 no longer meets): the recompute is asked, not yet run.
    director = person(inst, "dirb2", Role.DIRECTOR, [b2])
    measurements_apply(institution=inst, rows=team_rows(inst, "B2", 2020, "8"), user=director, allowed_colleges={b2.pk})
    signoff_approve(institution=inst, year=2020, user=boss)
    served = api.get(path).json()
    assert served["attained"] is True  # the verdict from before the correction ...
    assert served["data_status"] == "voorlopig"  # ... is not called vastgesteld
    assert data_status(inst, 2020) == "voorlopig"
    recompute_now(institution=inst, reason="test")
    actual = api.get(path).json()
    assert (actual["attained"], actual["data_status"]) == (False, "vastgesteld")


def test_a_recompute_that_moves_no_row_still_changes_the_etag_of_the_label_it_settles():
    inst = build("HLI", RESERVE_VALUES)
    recompute_now(institution=inst, reason="test")
    boss = person(inst, "beleid", Role.POLICY)
    announce_change(institution=inst, reason="test: a recompute is asked")  # waits; moves nothing
    signoff_approve(institution=inst, year=2020, user=boss)
    api = api_for(boss)
    path = "/api/v1/status/?year=2020&institution=HLI"
    first = api.get(path)
    assert first.json()["data_status"] == "voorlopig"
    recompute_now(institution=inst, reason="test")  # rewrites no result row: nothing moved
    again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert again.json()["data_status"] == "vastgesteld"


def test_approving_with_nothing_to_recompute_is_vastgesteld_at_once(django_capture_on_commit_callbacks):
    # The demo and the test suite run tasks in the process: each write's recompute runs when it commits.
    with django_capture_on_commit_callbacks(execute=True):
        inst = build("HLD", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    with django_capture_on_commit_callbacks(execute=True):
        measurements_apply(institution=inst, rows=team_rows(inst, "A1", 2020, "7"), user=boss)
    # Nothing is waiting: the approval is vastgesteld before its own recompute has run (it runs when
    # the block ends, as at a commit) ...
    with django_capture_on_commit_callbacks(execute=True):
        signoff_approve(institution=inst, year=2020, user=boss)
        assert data_status(inst, 2020) == "vastgesteld"
    # ... and after it has run, as the next approval.
    assert data_status(inst, 2020) == "vastgesteld"
    with django_capture_on_commit_callbacks(execute=True):
        signoff_approve(institution=inst, year=2021, user=boss)
    assert data_status(inst, 2021) == budget_status(inst, 2021) == "vastgesteld"


# --- 3. The grid says what every page says -------------------------------------------------------


def test_the_grid_calls_a_colleges_verdicts_vastgesteld_only_when_the_pages_do():
    inst = build("HLG", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    a1 = College.objects.get(institution=inst, code="A1")
    signoff_approve(institution=inst, year=2020, college=a1, user=boss)  # A1 only
    recompute_now(institution=inst, reason="test")
    client = Client()
    client.force_login(person(inst, "dira1", Role.DIRECTOR, [a1]))
    grid = client.get("/invoer/college/A1/?jaar=2020").content.decode()
    page = client.get("/dashboard/college/A1/?jaar=2020").content.decode()
    assert "Dit jaar is vastgesteld en vergrendeld." in grid  # A1's own sign-off: its values are locked
    assert "zijn vastgesteld, niet meer voorlopig" not in grid
    assert "De oordelen over 2020 zijn nog <strong>voorlopig</strong>" in grid
    assert "Oordelen voorlopig" in page
    signoff_approve(institution=inst, year=2020, user=boss)  # every college and the institution level
    recompute_now(institution=inst, reason="test")
    grid = client.get("/invoer/college/A1/?jaar=2020").content.decode()
    page = client.get("/dashboard/college/A1/?jaar=2020").content.decode()
    assert "De oordelen over 2020 zijn vastgesteld, niet meer voorlopig." in grid
    assert "Oordelen vastgesteld" in page


# --- 4. A reason is what a reader can see --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("DUO-correctie", 13),
        ("\u200b" * 5, 0),  # zero-width spaces
        ("\u200d\u2060\ufeff\u200e\u00ad", 0),  # joiners, word joiner, BOM, bidi mark, soft hyphen
        ("\u3000\u00a0 \t\n", 0),  # spaces of every kind
        ("\u3164\u115f\u2800", 0),  # Hangul fillers, blank Braille: letters that draw nothing
        ("e\u0301e\u0301", 2),  # a combining accent is part of its letter
        ("€ 5,-", 4),
        (None, 0),
    ],
)
def test_visible_length_counts_what_a_reader_sees(text, length):
    assert visible_length(text) == length


def test_a_reopen_reason_of_invisible_characters_is_refused_on_the_page_and_in_the_service():
    inst = build("HLH", {})
    boss = person(inst, "beleid", Role.POLICY)
    a1 = College.objects.get(institution=inst, code="A1")
    signoff_approve(institution=inst, year=2020, user=boss)
    client = Client()
    client.force_login(boss)
    for reason in ("\u200b" * 5, "a\u200bb\u200bc\u200b\u200b", "\u3164" * 6):
        response = client.post(
            "/invoer/college/A1/vaststelling/", {"jaar": "2020", "actie": "heropenen", "reden": reason}, follow=True
        )
        assert "minstens 5 zichtbare tekens" in response.content.decode()
    assert not SignoffEvent.objects.filter(signoff__college=a1, action="reopen").exists()
    with pytest.raises(Exception, match="zichtbare tekens"):
        signoff_reopen(institution=inst, year=2020, college=a1, user=boss, reason=" \u200b\u200bok\u200b ")
    signoff_reopen(institution=inst, year=2020, college=a1, user=boss, reason="DUO-correctie")
    assert SignoffEvent.objects.get(signoff__college=a1, action="reopen").reason == "DUO-correctie"


def test_the_budget_page_says_the_moneys_status_beside_the_verdicts():
    """2021 approved, 2020 open: the budget page's money is voorlopig while 2021's verdicts are vastgesteld."""
    inst = build("HLP", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    signoff_approve(institution=inst, year=2021, user=boss)  # 2020 stays open
    recompute_now(institution=inst, reason="test")
    client = Client()
    client.force_login(boss)
    page = client.get("/dashboard/budget/?jaar=2021").content.decode()
    assert "Budget voorlopig" in page and "Oordelen vastgesteld" in page
    signoff_approve(institution=inst, year=2020, user=boss)
    recompute_now(institution=inst, reason="test")
    page = client.get("/dashboard/budget/?jaar=2021").content.decode()
    assert "Budget vastgesteld" in page


def test_the_annual_workbook_says_the_moneys_status_beside_the_verdicts():
    """The workbook's Toelichting says both, as the budget page does (2021 approved, 2020 open)."""
    import io

    import openpyxl

    inst = build("HLX", RESERVE_VALUES)
    boss = person(inst, "beleid", Role.POLICY)
    signoff_approve(institution=inst, year=2021, user=boss)
    recompute_now(institution=inst, reason="test")
    client = Client()
    client.force_login(boss)
    response = client.get("/dashboard/export.xlsx?jaar=2021")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Toelichting"]
    lines = [row[0] for row in sheet.iter_rows(values_only=True) if row and row[0]]
    status = next(line for line in lines if line.startswith("Oordelen: "))
    assert status.startswith("Oordelen: vastgesteld") and "; budget: voorlopig" in status
