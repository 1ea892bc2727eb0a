"""Board dashboards on the ROCvAF demo: every page shows the stored verdicts, fast and with few queries."""

import json
import re
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from agenda.models import Factor, Indicator
from rapportage import selectors
from rapportage.models import BudgetResult, Version
from rapportage.templatetags.kwaliteit import college_distance, euro, nl_against

WORDS = {True: "behaald", False: "niet behaald", None: "geen oordeel"}
COLLEGE_WORDS = {True: "gehaald", False: "niet gehaald", None: "geen oordeel"}
PAGES = [
    ("rapportage:overview", None),
    ("rapportage:colleges", None),
    ("rapportage:college", "5100"),
    ("rapportage:indicator", "2b"),
    ("rapportage:indicator", "3c"),
    ("rapportage:budget", None),
    ("rapportage:herijking", None),
    ("rapportage:print", None),
    ("rapportage:export", None),
]


def url(name: str, code: str | None = None, year: int | None = None) -> str:
    """Return the page's URL, with ?jaar= when a year is given."""
    path = reverse(name, args=[code] if code else [])
    return f"{path}?jaar={year}" if year else path


def stored(year: int, version: str = Version.CURRENT) -> dict[str, dict]:
    """Return the stored STATUS per indicator code."""
    from agenda.models import Institution

    body = selectors.status_body(Institution.objects.get(code="ROCVAF"), year, version)
    return {s["indicator"]: s for s in body["indicators"]}


def row_verdicts(html: str, attribute: str = "data-indicator") -> dict[str, str]:
    """Return the first verdict word of every table row carrying `attribute`."""
    pattern = rf'<tr {attribute}="([^"]+)"[^>]*>.*?<span class="verdict [a-z]+">([^<]+)</span>'
    return dict(re.findall(pattern, html, re.S))


@pytest.fixture
def board(client, rocvaf_demo):
    """Return a client logged in as the board member."""
    client.force_login(get_user_model().objects.get(username="bestuur"))
    return client


@pytest.fixture
def director(client, rocvaf_demo):
    """Return a client logged in as the director of college 5100."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "code"), PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, rocvaf_demo, name, code):
    """Every dashboard page and the export redirect an anonymous visitor to the login page."""
    response = client.get(url(name, code))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "code"), PAGES)
def test_every_page_answers_for_the_board(board, name, code):
    """The board member gets every page (and the workbook) with status 200."""
    response = board.get(url(name, code, 2022))
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("year", [2019, 2020, 2022])
def test_overview_shows_the_stored_verdict_of_every_indicator(board, year):
    """Each indicator's verdict word on the overview equals the stored status; the tallies add up."""
    expected = stored(year)
    html = board.get(url("rapportage:overview", year=year)).content.decode()
    assert row_verdicts(html) == {code: WORDS[s["attained"]] for code, s in expected.items()}
    met = sum(1 for s in expected.values() if s["attained"] is True)
    assert f'<span class="tally-n">{met}</span> <span class="tally-word">✓ behaald</span>' in html
    for status in expected.values():
        assert status["explanation"] in html.replace("&#x27;", "'")
        if status["distance"]:
            assert status["distance"] in html
    # The summary line per theme ("3 van 3 behaald"), T2 has 3 indicators.
    t2 = [s for s in expected.values() if s["theme"] == "T2" and s["attained"] is not None]
    assert f"{sum(1 for s in t2 if s['attained'])} van {len(t2)} behaald" in html
    assert "Laatste herberekening:" in html.split("<h2")[0]  # near the top, not only in the footer


@pytest.mark.django_db
def test_an_unknown_year_falls_back_to_the_latest_year_with_verdicts(board):
    """?jaar=abc or a year outside the agenda shows the latest judged year instead of an error."""
    for value in ("abc", "1999"):
        response = board.get(reverse("rapportage:overview"), {"jaar": value})
        assert response.status_code == 200
        assert response.context["year"] == 2022


@pytest.mark.django_db
def test_an_unknown_indicator_or_college_is_not_found(board):
    """A code that is not in the agenda gives 404."""
    assert board.get(url("rapportage:indicator", "9z")).status_code == 404
    assert board.get(url("rapportage:college", "9999")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "code", "limit"),
    [
        # The "voorlopig / vastgesteld" state of the year costs one or two constant queries (issue 12).
        # Whether the results are stale (a failed recompute) costs one constant query in the page
        # frame and one per stored body read (issue 11 part 7).
        ("rapportage:overview", None, 12),
        ("rapportage:colleges", None, 12),
        # The trend counts only active teams and applicable colleges: one constant query more (issue 11).
        # The Q-cycle timeline reads each of its kinds once: 4 constant queries on an indicator
        # (check-ins, actions, follow-ups, evidence), 5 on a college (and its reviews) (issue 15, item 4).
        # Whether the indicator is a composite (issue 18): one constant query. Its comparison series,
        # breakdowns (one query) and the source per year (one query), issue 18: two more.
        ("rapportage:indicator", "2b", 26),
        ("rapportage:indicator", "3c", 26),
        ("rapportage:college", "5100", 27),
        ("rapportage:budget", None, 14),
        ("rapportage:herijking", None, 15),
        ("rapportage:print", None, 22),
    ],
)
def test_pages_use_a_bounded_number_of_queries(board, django_assert_max_num_queries, name, code, limit):
    """Pages read stored payloads: the query count does not grow with colleges, teams or years."""
    board.get(url(name, code, 2022))  # warm the session
    with django_assert_max_num_queries(limit):
        assert board.get(url(name, code, 2022)).status_code == 200


@pytest.mark.django_db
def test_indicator_page_explains_the_verdict_with_charts_factors_measures_and_evidence(board):
    """2b shows its explanation and distance, three figures, its factors, measures, evidence and small teams."""
    status = stored(2022)["2b"]
    response = board.get(url("rapportage:indicator", "2b", 2022))
    html = response.content.decode()
    assert status["explanation"] in html and status["distance"] in html
    assert f'<span class="verdict met">{WORDS[status["attained"]]}</span>' in html
    figures = {
        name: json.loads(re.search(rf'id="fig-{name}"[^>]*>(.*?)</script>', html, re.S).group(1))
        for name in ("trend", "teams", "heatmap")
    }
    trend_names = [trace["name"] for trace in figures["trend"]["data"]]
    assert "Instelling" in trend_names and "Nulmeting 2016: 6,7" in trend_names
    # From 2014: the agenda's DUO and landelijk vsv figures start there (issue 18, demo comparisons).
    assert figures["trend"]["layout"]["xaxis"]["tickvals"] == list(range(2014, 2023))
    assert len([n for n in trend_names if n[:4].isdigit()]) == 12  # one line per college
    heat = figures["heatmap"]["data"][0]
    assert heat["x"] == ["2019 (tussentijds)", "2020", "2021 (tussentijds)", "2022"]
    # The partial bundle, preloaded but not run by the page: dashboard.js evaluates it for the first chart (issue 16).
    assert (
        html.count('<link rel="preload" href="/static/js/plotly-4.1.1-kwaliteit.min.js" as="script" data-plotly>') == 1
    )
    assert '<script src="/static/js/plotly' not in html
    for factor in Factor.objects.filter(indicator__code="2b"):
        assert factor.name in html
    for title in (
        "Overstapcoaches vmbo-mbo",
        "Loopbaan en Expertise Centrum (LEC)",
        "Match op meedoen (regio Hilversum)",
    ):
        assert title in html
    assert "Van entree naar niveau 2 (synthetisch)" in html
    small = [t for c in status["colleges"] for t in c["teams"] if t["n"] is not None and t["n"] < 20]
    assert small, "the demo has small teams for 2b"
    for team in small:
        row = re.search(rf'<tr data-team="{team["team"]}" class="is-small">.*?</tr>', html, re.S)
        assert row and "kleine groep" in row.group(0)
    assert "één student verschuift het percentage sterk" in html


@pytest.mark.django_db
def test_trend_values_equal_the_stored_institution_values(rocvaf_demo):
    """The trend's per-year aggregate gives the same institution value as the stored verdict of that year."""
    for code in ("2b", "3b", "3c"):
        indicator = Indicator.objects.get(institution=rocvaf_demo, code=code)
        trend = selectors.indicator_trend(indicator)
        values = dict(zip(trend.institution["year"], trend.institution["value"], strict=True))
        for status in selectors.indicator_history(rocvaf_demo, code):
            assert float(values[status["year"]]) == pytest.approx(status["institution_value"], abs=1e-9)
        assert min(values) <= 2015  # all years with data, not only the agenda years


@pytest.mark.django_db
def test_director_sees_action_links_on_own_college_only(director):
    """directeur5100 gets the three action links on 5100 and none on 5200."""
    own = director.get(url("rapportage:college", "5100")).content.decode()
    for name, text in (
        ("invoer:grid", "Resultaten invoeren"),
        ("agenda:teams", "Teams beheren"),
        ("maatregelen:college", "Maatregelen, merkbaar en Q-gesprekken"),
    ):
        assert f'href="{reverse(name, args=["5100"])}">{text}</a>' in own
    other = director.get(url("rapportage:college", "5200")).content.decode()
    for text in ("Resultaten invoeren", "Teams beheren", "Maatregelen, merkbaar en Q-gesprekken"):
        assert text not in other


@pytest.mark.django_db
def test_board_sees_no_action_links(board):
    """The board reads only: no entry links on a college page."""
    html = board.get(url("rapportage:college", "5100")).content.decode()
    assert "Resultaten invoeren" not in html and reverse("invoer:grid", args=["5100"]) not in html


@pytest.mark.django_db
def test_college_page_shows_each_indicator_result_and_the_measures(board):
    """5300: college verdicts equal the stored ones; own and ROC-wide measures are listed apart."""
    expected = stored(2022)
    html = board.get(url("rapportage:college", "5300", 2022)).content.decode()
    shown = row_verdicts(html)
    for code, status in expected.items():
        entry = next((c for c in status["colleges"] if c["college"] == "5300"), None)
        if entry is not None:
            assert shown[code] == COLLEGE_WORDS[entry["met"]]
            if entry["met"] is False and entry["teams_total"]:
                assert f"nog {entry['teams_needed']} team" in html
    own, roc_wide = html.split('id="roc-maatregelen"')
    assert "Match op meedoen (regio Hilversum)" in own.split('id="eigen-maatregelen"')[1]
    assert "Loopbaan en Expertise Centrum (LEC)" in roc_wide
    assert "Match op meedoen" not in roc_wide


@pytest.mark.django_db
def test_colleges_page_shows_every_college_result_per_indicator(board):
    """The colleges matrix has a ✓ / ✗ / – per college and college-level indicator, equal to the stored result."""
    expected = {code: s for code, s in stored(2020).items() if not s["institution_only"]}
    html = board.get(url("rapportage:colleges", year=2020)).content.decode()
    symbols = {True: "✓", False: "✗", None: "–"}
    for college in ("5100", "7110"):
        row = re.search(rf'<tr data-college="{college}">.*?</tr>', html, re.S).group(0)
        cells = re.findall(r'<td class="matrix-cell [a-z]+">(.)', row)
        entries = [next(c for c in s["colleges"] if c["college"] == college) for s in expected.values()]
        assert cells == [symbols[e["met"]] for e in entries]
        met = sum(1 for e in entries if e["met"])
        assert f"{met} van {sum(1 for e in entries if e['met'] is not None)}" in row


@pytest.mark.django_db
def test_budget_page_shows_the_split_the_ch12_table_and_no_warning(board):
    """The demo budget follows the rules: a calm note, the figures, and the agenda's ch. 12 percentages."""
    response = board.get(url("rapportage:budget", year=2022))
    html = response.content.decode()
    assert 'role="alert"' not in html and "De verdeling volgt de regels" in html
    assert "€ 28.000.000,00" in html
    # Agenda ch. 12: T2 7,0 (59 %) + 4,8 (41 %) = 11,8; the three national themes 18,2 + 12,4 = 30,6.
    table = html.split('class="funds-table"')[1].split("</table>")[0]
    assert re.search(r"T2 .*?25 %.*?€ 7,00 mln.*?59 %.*?€ 4,80 mln.*?41 %.*?€ 11,80 mln", table, re.S)
    assert re.search(r"Totaal.*?65 %.*?€ 18,20 mln.*?59 %.*?€ 12,40 mln.*?41 %.*?€ 30,60 mln", table, re.S)
    assert 'id="fig-treemap"' in html and 'id="fig-colleges"' in html and 'id="fig-themes"' in html


@pytest.mark.django_db
def test_budget_warnings_are_shown_prominently(board, rocvaf_demo):
    """A stored budget warning appears in an alert panel at the top of the budget page."""
    result = BudgetResult.objects.get(institution=rocvaf_demo, year=2022)
    result.payload["warnings"] = ["De aandelen van de thema's tellen op tot 90 %, niet tot 100 %."]
    result.save()
    html = board.get(url("rapportage:budget", year=2022)).content.decode()
    panel = html.split('role="alert"')[1].split("</section>")[0]
    assert "De aandelen van de thema&#x27;s tellen op tot 90 %, niet tot 100 %." in panel
    assert html.index('role="alert"') < html.index('id="fig-treemap"')


def first_release(body: dict) -> tuple[dict, dict, dict]:
    """Return (theme, college, release) of the first release from reserve in a budget body."""
    return next(
        (t, c, c["reserve_releases"][0]) for t in body["themes"] for c in t["colleges"] if c["reserve_releases"]
    )


@pytest.mark.django_db
def test_budget_page_shows_each_release_from_reserve_with_its_year_and_indicator(board, rocvaf_demo):
    """2021: per college what came free from reserve (year and indicator) and what is still open."""
    body = BudgetResult.objects.get(institution=rocvaf_demo, year=2021).payload
    theme, college, release = first_release(body)
    html = board.get(url("rapportage:budget", year=2021)).content.decode()
    assert (
        f'Uit reserve vrijgegeven (eerdere jaren)</span> <span class="kf-value">{euro(body["released_from_reserve_cents"])}'
        in html
    )
    assert f'Reserve nog open na 2021</span> <span class="kf-value">{euro(body["reserve_open_cents"])}' in html
    details = html.split(f"<strong>{theme['theme']} ")[1].split("</details>")[0]
    entry = details.split(f"<li><strong>{college['college']} ")[1].split("</li>")[0]
    text = " ".join(re.sub(r"<[^>]+>", "", entry).split())
    assert f"Uit reserve vrijgegeven in 2021, want nu gehaald: {euro(college['released_from_reserve_cents'])}" in text
    assert f"{release['indicator']} uit {release['from_year']} ({euro(release['cents'])})" in text
    assert "Niet gerealiseerd" not in html


@pytest.mark.django_db
def test_budget_page_of_the_last_budget_year_names_what_is_not_realised(board, rocvaf_demo):
    """2022 is the period's last budget year: what is still open is shown as not realised, for the board to decide."""
    body = BudgetResult.objects.get(institution=rocvaf_demo, year=2022).payload
    html = board.get(url("rapportage:budget", year=2022)).content.decode()
    assert (
        f'Niet gerealiseerd (laatste budgetjaar)</span> <span class="kf-value">{euro(body["not_realised_cents"])}'
        in html
    )
    assert "het bestuur besluit wat ermee gebeurt" in html
    college = next(c for t in body["themes"] for c in t["colleges"] if c["not_realised"])
    open_entry = college["not_realised"][0]
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert f"{open_entry['indicator']} uit {open_entry['from_year']} ({euro(open_entry['cents'])})" in text


@pytest.mark.django_db
def test_print_layout_lists_the_reserve(board, rocvaf_demo):
    """The print layout has the reserve table: releases with their year and indicator, and what stays open."""
    body = BudgetResult.objects.get(institution=rocvaf_demo, year=2021).payload
    _, college, release = first_release(body)
    html = board.get(url("rapportage:print", year=2021)).content.decode()
    reserve = html.split('id="p-reserve"')[1].split("</section>")[0]
    assert f"In 2021 uit reserve vrijgegeven: <strong>{euro(body['released_from_reserve_cents'])}</strong>" in reserve
    assert f"{release['indicator']} uit {release['from_year']} {euro(release['cents'])}" in reserve
    assert f"{college['college']} " in reserve


@pytest.mark.django_db
def test_herijking_shows_both_verdicts_and_the_reason_of_each_revision(board):
    """Original and current verdicts equal the stored versions; each revision shows its reason and date."""
    current, original = stored(2022), stored(2022, Version.ORIGINAL)
    html = board.get(url("rapportage:herijking", year=2022)).content.decode()
    for code in current:
        row = re.search(rf'<tr data-indicator="{re.escape(code)}".*?</tr>', html, re.S).group(0)
        before = re.search(r'class="original-verdict"><span class="verdict [a-z]+">([^<]+)<', row).group(1)
        after = re.search(r'class="current-verdict"><span class="verdict [a-z]+">([^<]+)<', row).group(1)
        assert (before, after) == (WORDS[original[code]["attained"]], WORDS[current[code]["attained"]])
    changed = sum(1 for code in current if current[code]["attained"] != original[code]["attained"])
    assert f"bij {changed} indicatoren een ander oordeel" in html
    assert html.count("Reden: Herijking 2020 (synthetisch voorbeeld voor de demo)") == 5


@pytest.mark.django_db
def test_print_layout_has_every_theme_and_the_college_matrix(board):
    """The print page lists all five themes, every indicator's verdict and the college x indicator table."""
    expected = stored(2022)
    html = board.get(url("rapportage:print", year=2022)).content.decode()
    assert 'class="print-layout"' in html
    for code in ("T1", "T2", "T3", "T4", "T5"):
        assert f'id="p-theme-{code}"' in html
    assert row_verdicts(html) == {code: WORDS[s["attained"]] for code, s in expected.items()}
    assert html.count('class="matrix-cell') == 12 * sum(1 for s in expected.values() if not s["institution_only"])


@pytest.mark.django_db
def test_export_workbook_holds_the_stored_status(board):
    """The Excel download is a workbook whose status sheet has every stored verdict and explanation."""
    expected = stored(2022)
    response = board.get(url("rapportage:export", year=2022))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="kwaliteitsagenda-ROCVAF-2022.xlsx"' in response["Content-Disposition"]
    wb = load_workbook(BytesIO(response.content))
    rows = list(wb["Status"].iter_rows(values_only=True))
    header = rows[0]
    shown = {r[header.index("Indicator")]: r for r in rows[1:]}
    assert set(shown) == set(expected)
    for code, status in expected.items():
        assert shown[code][header.index("Oordeel")] == WORDS[status["attained"]]
        assert shown[code][header.index("Uitleg")] == status["explanation"]
    colleges = list(wb["Colleges"].iter_rows(values_only=True))
    assert len(colleges) - 1 == sum(len(s["colleges"]) for s in expected.values())


@pytest.mark.django_db
def test_pages_show_the_engines_margin_and_survive_payloads_stored_before_it(board):
    """A college's margin words come from the stored teams_margin; without the field the pages still answer."""
    from rapportage.models import IndicatorResult

    result = IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT)
    entries = [c for c in result.payload["colleges"] if c["met"] and c["basis"] == "teams"]
    assert entries and all(c["teams_margin"] >= 0 for c in entries)
    college = next(c for c in entries if c["teams_margin"] > 0)
    page = url("rapportage:college", college["college"], 2022)
    row_1a = r'<tr data-indicator="1a">.*?</tr>'
    word = "team" if college["teams_margin"] == 1 else "teams"
    assert f'<td data-label="Afstand">{college["teams_margin"]} {word} marge</td>' in re.search(
        row_1a, board.get(page).content.decode(), re.S
    ).group(0)
    for entry in result.payload["colleges"]:
        entry.pop("teams_margin")
    result.save(update_fields=["payload"])
    response = board.get(page)
    assert response.status_code == 200
    assert "marge" not in re.search(row_1a, response.content.decode(), re.S).group(0)
    response = board.get(url("rapportage:indicator", "1a", 2022))
    assert response.status_code == 200
    assert " marge</td>" not in response.content.decode()


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"met": False, "basis": "teams", "teams_needed": 1, "teams_margin": -1}, "nog 1 team nodig"),
        ({"met": False, "basis": "teams", "teams_needed": 2, "teams_margin": -2}, "nog 2 teams nodig"),
        (
            {"met": True, "basis": "teams", "teams_needed": 0, "teams_margin": 0},
            "precies tweederde: één team minder en het is niet gehaald",
        ),
        ({"met": True, "basis": "teams", "teams_needed": 0, "teams_margin": 2}, "2 teams marge"),
        ({"met": True, "basis": "teams", "teams_needed": 0, "teams_margin": 1}, "1 team marge"),
        (
            {"met": False, "basis": "no_data", "teams_needed": 0, "teams_margin": 0},
            "geen gegevens: telt als niet gehaald",
        ),
        (
            {"met": True, "basis": "college_value", "teams_needed": 0, "teams_margin": 0},
            "geen teamwaarden: het college als geheel beoordeeld",
        ),
        ({"met": None, "basis": "teams", "teams_needed": 0, "teams_margin": -3}, ""),
        (None, ""),
        # A payload stored before the engine gave teams_margin: the page still renders, without margin words.
        ({"met": True, "basis": "teams", "teams_needed": 0, "teams_contributed": 8, "teams_total": 9}, ""),
    ],
)
def test_college_distance_says_how_far_a_college_is_from_flipping(entry, words):
    """The filter phrases the engine's distance (teams_needed, teams_margin); it computes no two-thirds itself."""
    assert college_distance(entry) == words


@pytest.mark.parametrize(
    ("value", "other", "text"),
    [
        (7.042956, 6.7, "7,0"),  # one decimal suffices, the trailing zero stays
        (6.66, 6.7, "6,66"),  # 6,7 against 6,7 would hide that it is lower
        (78.0, 77.96, "78,00"),  # 78,0 against 78,0 would hide the difference
        (46.9, None, "46,9"),
        (None, 6.7, "–"),
    ],
)
def test_nl_against_keeps_the_order_visible(value, other, text):
    """Numbers next to their reference get just enough decimals to show which is larger."""
    assert nl_against(value, other) == text


@pytest.mark.parametrize(
    ("quality", "other", "total", "expected"),
    [
        # Agenda ch. 12: 7,0 of 28,0 (25 %); 7,0 + 4,8 = 11,8 -> 59 % / 41 %.
        (700_000_000, 480_000_000, 2_800_000_000, (25, 59, 41, 1_180_000_000)),
        (700_000_000, 280_000_000, 2_800_000_000, (25, 71, 29, 980_000_000)),
        (420_000_000, 480_000_000, 2_800_000_000, (15, 47, 53, 900_000_000)),
        (700_000_000, 0, 2_800_000_000, (25, 100, 0, 700_000_000)),
        (0, 0, 0, (None, None, None, 0)),
    ],
)
def test_funds_table_reproduces_the_agenda_percentages(quality, other, total, expected):
    """Per national theme: share of the budget, share of all additional money, and the total."""
    table = selectors.funds_table(
        [
            {"code": "T2", "name": "Kwetsbaar", "national": True, "amount_cents": quality},
            {"code": "T1", "name": "Strategie", "national": False, "amount_cents": 123},
        ],
        [{"theme": "T2", "amount_cents": other}] if other else [],
        total,
    )
    assert [r["theme"] for r in table["rows"]] == ["T2"]  # only national themes, as in the agenda
    row = table["rows"][0]
    assert (row["quality_pct_of_budget"], row["quality_pct"], row["other_pct"], row["total_cents"]) == expected
    assert table["total"]["total_cents"] == expected[3]


def test_funds_table_totals_the_national_themes_like_the_agenda():
    """The three national themes of ch. 12 add up to 18,2 + 12,4 = 30,6 mln: 65 %, 59 % and 41 %."""
    themes = [
        {"code": "T2", "name": "a", "national": True, "amount_cents": 700_000_000},
        {"code": "T3", "name": "b", "national": True, "amount_cents": 700_000_000},
        {"code": "T4", "name": "c", "national": True, "amount_cents": 420_000_000},
    ]
    funds = [
        {"theme": "T2", "amount_cents": 480_000_000},
        {"theme": "T3", "amount_cents": 280_000_000},
        {"theme": "T4", "amount_cents": 300_000_000},
        {"theme": "T4", "amount_cents": 180_000_000},  # two sources for one theme add up
    ]
    total = selectors.funds_table(themes, funds, 2_800_000_000)["total"]
    assert total == {
        "quality_cents": 1_820_000_000,
        "quality_pct_of_budget": 65,
        "quality_pct": 59,
        "other_cents": 1_240_000_000,
        "other_pct": 41,
        "total_cents": 3_060_000_000,
    }


def test_college_matrix_lists_colleges_by_college_level_indicators():
    """Institution-only indicators are left out; each college's cells follow the indicators' order."""
    body = {
        "indicators": [
            {
                "indicator": "1a",
                "institution_only": False,
                "colleges": [
                    {"college": "5200", "name": "B", "met": True},
                    {"college": "5100", "name": "A", "met": False},
                ],
            },
            {"indicator": "3c", "institution_only": True, "colleges": []},
            {
                "indicator": "4a",
                "institution_only": False,
                "colleges": [
                    {"college": "5100", "name": "A", "met": None},
                    {"college": "5200", "name": "B", "met": True},
                ],
            },
        ]
    }
    matrix = selectors.college_matrix(body)
    assert matrix["indicators"] == ["1a", "4a"]
    assert [(r["college"], r["cells"], r["met"], r["judged"]) for r in matrix["rows"]] == [
        ("5100", [False, None], 0, 1),
        ("5200", [True, True], 2, 2),
    ]


def test_indicator_page_shows_definition_source_and_the_institutions_choices(board):
    """4b shows what is measured, its source and each choice (its polarity first) as not from the agenda, with the reason."""
    from django.utils.html import escape

    four_b = Indicator.objects.get(code="4b")
    html = board.get(url("rapportage:indicator", "4b", 2020)).content.decode()
    assert escape(four_b.definition) in html and escape(four_b.source) in html
    section = re.search(r'<ul class="choice-list">(.*?)</ul>', html, re.S).group(1)
    items = re.findall(r'<li data-choice="([^"]+)">(.*?)</li>', section, re.S)
    assert [field for field, _ in items] == [c["field"] for c in four_b.choices]
    polarity = dict(items)["polarity"]
    assert "<strong>Richting (wat beter is)</strong>" in polarity
    assert "keuze van de instelling, niet uit de agenda" in polarity
    assert escape(four_b.choices[0]["reason"]) in polarity
    lead = re.search(r'<p class="lead">(.*?)</p>', html, re.S).group(1)
    assert 'href="#keuzes">keuze van de instelling</a>' in lead  # the polarity is marked where it is shown


def test_indicator_page_without_choices_marks_nothing(board):
    """1b's numbers are all in the agenda: its page has a definition and a source but no choice marks."""
    html = board.get(url("rapportage:indicator", "1b", 2020)).content.decode()
    assert "Jaarlijks studententevredenheidsonderzoek" in html
    assert 'class="choice-list"' not in html and "keuze van de instelling" not in html
