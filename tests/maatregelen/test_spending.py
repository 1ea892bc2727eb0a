"""Realised spending and the manifesto's model (issue 14): services, the upload, the pages and the API."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from agenda.models import BudgetYear, College, Institution, Theme
from maatregelen import services
from maatregelen.models import Measure, PartnerAgreement, Promise, Spending
from maatregelen.spending_file import parse_amount, read_spending_file

SPENDING = "/maatregelen/besteding/"
MANIFESTO = "/maatregelen/manifest/"
LIMIT = 10 * 1024 * 1024


def user(name):
    """Return a demo user."""
    return get_user_model().objects.get(username=name)


@pytest.fixture
def world(rocvaf_demo):
    """Return the demo institution with its themes, two colleges and a measure of T2 at 5300."""
    institution = Institution.objects.get(code="ROCVAF")
    # The demo's own spending and promises (demo_setup) would blur the counts; rolled back after the test.
    Spending.objects.all().delete()
    PartnerAgreement.objects.all().delete()
    Promise.objects.all().delete()
    BudgetYear.objects.filter(institution=institution).update(lumpsum_total_cents=None)
    return {
        "institution": institution,
        "t1": Theme.objects.get(institution=institution, code="T1"),
        "t2": Theme.objects.get(institution=institution, code="T2"),
        "c5100": College.objects.get(institution=institution, code="5100"),
        "c5300": College.objects.get(institution=institution, code="5300"),
        "m5300": Measure.objects.get(title="Match op meedoen (regio Hilversum)"),
        "roc_t2": Measure.objects.get(title="Overstapcoaches vmbo-mbo"),
    }


def record(world, **kwargs):
    """Record spending with defaults: 2020, T2, college 5100, no measure."""
    values = {
        "institution": world["institution"],
        "year": 2020,
        "theme": world["t2"],
        "college": world["c5100"],
        "measure": None,
        "amount_cents": 100,
    }
    return services.spending_record(**{**values, **kwargs})


def listed(response):
    """Return the rows of an API list (paginated or not)."""
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def csv_file(*lines):
    """Return a spending CSV with the given data lines under the Dutch header."""
    return ("jaar;thema;college;maatregel;bedrag\n" + "\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1.234,56", 123_456), ("€ 12", 1200), ("0,5", 50), ("1234.56", 123_456), ("0", 0), ("1.234.567,01", 123_456_701)],
)
def test_amounts_are_read_exactly_into_cents(text, cents):
    """Dutch amounts with thousands dots and a decimal comma become exact integer cents."""
    assert parse_amount(text) == (cents, None)


@pytest.mark.parametrize("text", ["-5", "1,234", "12,345", "12%", "=1+1", "abc", ""])
def test_unreadable_negative_or_sub_cent_amounts_are_refused(text):
    """A negative amount, more than two decimals, a percentage, a formula or no number gets a Dutch message."""
    cents, message = parse_amount(text)
    assert cents is None and message


def test_spending_on_a_measure_of_another_theme_is_refused(world):
    """A T2 measure cannot carry T1 spending; the error names the measure."""
    with pytest.raises(ValidationError) as exc:
        record(world, theme=world["t1"], college=world["c5300"], measure=world["m5300"])
    assert "hoort niet bij dit thema" in str(exc.value)


def test_spending_on_another_colleges_measure_is_refused(world):
    """A measure of 5300 cannot carry spending of 5100."""
    with pytest.raises(ValidationError) as exc:
        record(world, measure=world["m5300"])
    assert "5300" in str(exc.value)


def test_recording_the_same_line_twice_replaces_the_amount(world):
    """Year, theme, college and measure identify a line: a second record replaces, never doubles."""
    record(world, amount_cents=100)
    record(world, amount_cents=250)
    record(world, college=None, amount_cents=7)
    record(world, college=None, amount_cents=9)
    rows = Spending.objects.filter(year=2020, theme=world["t2"])
    assert sorted((r.college_id or 0, r.amount_cents) for r in rows) == [(0, 9), (world["c5100"].pk, 250)]


def test_negative_spending_and_years_outside_the_period_are_refused(world):
    """Spending is zero or more and within the agenda's period."""
    with pytest.raises(ValidationError):
        record(world, amount_cents=-1)
    with pytest.raises(ValidationError):
        record(world, year=2030)


def test_a_director_records_only_their_own_colleges_spending(world):
    """directeur5100 may write 5100, not 5300 and not ROC-wide."""
    allowed = {world["c5100"].pk}
    record(world, allowed_colleges=allowed)
    with pytest.raises(PermissionDenied):
        record(world, college=world["c5300"], allowed_colleges=allowed)
    with pytest.raises(PermissionDenied):
        record(world, college=None, allowed_colleges=allowed)
    other = record(world, college=world["c5300"])
    with pytest.raises(PermissionDenied):
        services.spending_delete(spending=other, allowed_colleges=allowed)


def test_upload_is_all_or_nothing_with_dutch_row_errors(world):
    """One wrong row refuses the file: nothing is stored, each error names its row and column."""
    data = csv_file(
        "2020;T2;5100;;1.234,56",
        "2020;T1;5300;Match op meedoen (regio Hilversum);10",
        "2020;T9;5100;;1",
        "2020;T2;9999;;1",
        "2020;T2;5100;;12,345",
    )
    parsed = read_spending_file(data, LIMIT, LIMIT)
    result = services.spendings_import(institution=world["institution"], parsed=parsed, dry_run=False)
    messages = [(e.row, e.column, e.message) for e in result.errors]
    assert (6, "bedrag") in [(row, column) for row, column, _ in messages]
    assert not result.applied
    parsed = read_spending_file(data.replace(b"2020;T2;5100;;12,345\n", b""), LIMIT, LIMIT)
    result = services.spendings_import(institution=world["institution"], parsed=parsed, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(3, "maatregel"), (4, "thema"), (5, "college")]
    assert "hoort bij thema T2, niet bij T1" in result.errors[0].message
    assert not Spending.objects.exists()


def test_upload_dry_run_then_confirm_and_reupload_changes_nothing(world):
    """The dry run writes nothing; confirming stores exact cents; the same file again is 'ongewijzigd'."""
    data = csv_file("2020;T2;5300;Match op meedoen (regio Hilversum);1.234,56", "2020;T2;;;0,01", "2021;T2;5100;;3")
    parsed = read_spending_file(data, LIMIT, LIMIT)
    preview = services.spendings_import(institution=world["institution"], parsed=parsed, dry_run=True)
    assert preview.counts == {"nieuw": 3, "gewijzigd": 0, "ongewijzigd": 0}
    assert not Spending.objects.exists()
    services.spendings_import(institution=world["institution"], parsed=parsed, dry_run=False)
    assert Spending.objects.get(measure=world["m5300"]).amount_cents == 123_456
    assert Spending.objects.get(college=None).amount_cents == 1
    again = services.spendings_import(institution=world["institution"], parsed=parsed, dry_run=False)
    assert again.counts == {"nieuw": 0, "gewijzigd": 0, "ongewijzigd": 3}
    assert Spending.objects.count() == 3


def test_xlsx_upload_reads_numbers_and_text_exactly(world):
    """An Excel file with a numeric cell 1234.56 and a text cell '7,05' stores 123456 and 705 cents."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["jaar", "thema", "college", "maatregel", "bedrag"])
    sheet.append([2020, "T2", "5100", None, 1234.56])
    sheet.append([2021, "T2", "5100", None, "7,05"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = read_spending_file(buffer.getvalue(), LIMIT, LIMIT)
    assert not parsed.errors
    services.spendings_import(institution=world["institution"], parsed=parsed, dry_run=False)
    assert sorted(Spending.objects.values_list("amount_cents", flat=True)) == [705, 123_456]


def test_a_directors_upload_refuses_rows_of_other_colleges(world):
    """A director's file with a 5300 row and a ROC-wide row is refused on those rows."""
    parsed = read_spending_file(csv_file("2020;T2;5100;;1", "2020;T2;5300;;1", "2020;T2;;;1"), LIMIT, LIMIT)
    result = services.spendings_import(
        institution=world["institution"], parsed=parsed, dry_run=False, allowed_colleges={world["c5100"].pk}
    )
    assert [(e.row, e.message) for e in result.errors] == [
        (3, "Geen rechten voor college 5300"),
        (4, "Geen rechten voor ROC-brede bestedingen"),
    ]
    assert not Spending.objects.exists()


def test_spending_page_shows_allocation_realised_and_overspending(client, world):
    """The page lists T2 per college with its allocation; spending above it is 'overschreden'; totals add up."""
    record(world, amount_cents=999_999_999_99)
    record(world, college=world["c5300"], amount_cents=3)
    client.force_login(user("bestuur"))
    html = client.get(SPENDING + "?jaar=2020").content.decode()
    assert "Besteding 2020" in html
    assert "overschreden" in html
    assert "€ 999.999.999,99" in html
    assert "Totaal 2020" in html
    assert 'name="action" value="save"' not in html  # the board reads only


def test_spending_page_form_and_upload_for_a_director(client, world):
    """directeur5100 records a line on the page, previews and confirms a file, and cannot post for 5300."""
    client.force_login(user("directeur5100"))
    html = client.get(SPENDING).content.decode()
    assert "Besteding vastleggen" in html and "Bestand laden" in html
    response = client.post(
        SPENDING,
        {
            "action": "save",
            "year": 2020,
            "theme": world["t2"].pk,
            "college": world["c5100"].pk,
            "amount_cents": "12,34",
        },
    )
    assert response.status_code == 302
    assert Spending.objects.get().amount_cents == 1234
    response = client.post(
        SPENDING,
        {"action": "save", "year": 2020, "theme": world["t2"].pk, "college": world["c5300"].pk, "amount_cents": "1"},
    )
    assert response.status_code == 200 and Spending.objects.count() == 1  # 5300 is not a choice for 5100
    upload = io.BytesIO(csv_file("2021;T2;5100;;1.000,01"))
    upload.name = "besteding.csv"
    html = client.post(SPENDING, {"action": "preview", "file": upload}).content.decode()
    assert "Voorbeeld: dit verandert er" in html and "1 nieuw" in html
    assert Spending.objects.count() == 1
    client.post(SPENDING, {"action": "confirm"})
    assert Spending.objects.get(year=2021).amount_cents == 100_001


def test_manifesto_page_shows_checks_and_policy_saves_promises(client, world):
    """The checks show their figures (n.v.t. without a lumpsum); policy staff add a promise, partner and lumpsum."""
    client.force_login(user("beleid"))
    html = client.get(MANIFESTO + "?jaar=2020").content.decode()
    assert "Eigen en regionale speerpunten" in html and "n.v.t." in html and "doel 10 %" in html
    response = client.post(
        MANIFESTO + "?jaar=2020",
        {
            "action": "promise",
            "theme": world["t2"].pk,
            "title": "Iedereen een passende plek",
            "promise": "Geen jongere zonder plek.",
            "origin": "beide",
            "target_groups": ["starters", "herstarters"],
            "budget_cents": "800",
            "regional_spearhead": "on",
        },
    )
    assert response.status_code == 302
    promise = Promise.objects.get()
    assert (promise.budget_cents, promise.target_groups) == (80_000, ["starters", "herstarters"])
    client.post(MANIFESTO, {"action": "partner", "promise": promise.pk, "partner": "Gemeente Amsterdam"})
    assert PartnerAgreement.objects.get().partner == "Gemeente Amsterdam"
    client.post(MANIFESTO + "?jaar=2020", {"action": "lumpsum", "lumpsum_total_cents": "280.000.000"})
    assert BudgetYear.objects.get(institution=world["institution"], year=2020).lumpsum_total_cents == 28_000_000_000
    html = client.get(MANIFESTO + "?jaar=2020").content.decode()
    assert "100,00 %" in html and "Gemeente Amsterdam" in html and "starters, herstarters" in html
    assert "10,00 %" in html  # 28 mln of 280 mln


def test_only_policy_staff_write_promises(client, world):
    """A director's promise post is refused (403) and the form is not offered."""
    client.force_login(user("directeur5100"))
    assert "Belofte toevoegen" not in client.get(MANIFESTO).content.decode()
    response = client.post(MANIFESTO, {"action": "promise", "theme": world["t2"].pk, "title": "x", "promise": "x"})
    assert response.status_code == 403 and not Promise.objects.exists()


def test_api_spending_rights_and_replacement(client, world):
    """A director posts 5100 spending (201), not 5300 (403); PATCH and DELETE go through the service too."""
    client.force_login(user("directeur5100"))
    url = "/api/v1/spending/"
    response = client.post(url, {"year": 2020, "theme": "T2", "college": "5100", "amount_cents": 5}, "application/json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = client.post(url, {"year": 2020, "theme": "T2", "college": "5300", "amount_cents": 5}, "application/json")
    assert response.status_code == 403
    response = client.post(url, {"year": 2020, "theme": "T2", "college": "5100", "amount_cents": 7}, "application/json")
    assert response.json()["id"] == pk and Spending.objects.get().amount_cents == 7
    response = client.patch(f"{url}{pk}/", {"amount_cents": 11}, "application/json")
    assert response.status_code == 200 and response.json()["amount_cents"] == 11
    response = client.post(
        url,
        {"year": 2020, "theme": "T1", "college": "5300", "measure": world["m5300"].pk, "amount_cents": 1},
        "application/json",
    )
    assert response.status_code in (400, 403)
    assert [row["amount_cents"] for row in listed(client.get(url + "?year=2020"))] == [11]
    assert client.delete(f"{url}{pk}/").status_code == 204
    client.force_login(user("bestuur"))
    assert client.post(url, {"year": 2020, "theme": "T2", "amount_cents": 1}, "application/json").status_code == 403


def test_api_promises_are_read_with_their_partners(client, world):
    """GET /api/v1/promises/ lists the promises of the institution with partners and target groups."""
    promise = services.promise_save(
        institution=world["institution"],
        theme=world["t2"],
        title="Belofte",
        promise="tekst",
        target_groups=["doorstarters"],
    )
    services.partner_agreement_save(promise=promise, partner="UWV", regional_deal=True)
    client.force_login(user("bestuur"))
    body = listed(client.get("/api/v1/promises/"))
    assert body[0]["theme"] == "T2" and body[0]["partners"][0]["partner"] == "UWV"
    assert body[0]["target_groups"] == ["doorstarters"]


def test_demo_has_spending_promises_and_a_lumpsum(client, rocvaf_demo):
    """The demo shows realised spending with an overspent line, three promises with partners and the checks in 2021."""
    institution = Institution.objects.get(code="ROCVAF")
    assert Spending.objects.filter(institution=institution).count() == 9
    assert Promise.objects.filter(institution=institution).count() == 3
    client.force_login(user("bestuur"))
    html = client.get(SPENDING + "?jaar=2021").content.decode()
    assert "overschreden" in html and "Match op meedoen" in html
    html = client.get(MANIFESTO + "?jaar=2021").content.decode()
    assert "Gemeente Amsterdam (RMC-regio)" in html and "82,14 %" in html and "10,18 %" in html


def test_allocation_is_read_from_the_stored_budget_and_totals_add_up(world):
    """The account's allocation per year is the stored split's central, fixed, released and from-reserve cents."""
    from rapportage.accountability import spending_data
    from rapportage.selectors import budget_body

    record(world, amount_cents=1)
    record(world, college=None, amount_cents=2)
    for year in (2020, 2021, 2022):
        body = budget_body(world["institution"], year)
        expected = sum(
            theme["central_cents"]
            + sum(p["fixed_cents"] + p["released_cents"] + p["released_from_reserve_cents"] for p in theme["colleges"])
            for theme in body["themes"]
        )
        summary = spending_data(world["institution"], year)["summary"]
        assert summary.total.allocated_cents == expected
        assert summary.total.realised_cents == (3 if year == 2020 else 0)
        assert sum(theme.total.allocated_cents for theme in summary.themes) == expected
    final = spending_data(world["institution"], 2022)
    assert final["final"] and final["period"].available_cents > 0
