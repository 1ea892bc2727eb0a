"""Guidance and truthful distances on the pages, in the API and the export (issue 15, items 1 and 2)."""

import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model

YEAR = 2022
TEAM_PAGE = "/dashboard/college/5100/team/5100-JUR/?jaar=2022"


def login(client, username):
    """Return `client` logged in as a demo user."""
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def director(client, rocvaf_demo, db):
    """Return a client logged in as the director of 5100."""
    return login(client, "directeur5100")


def test_college_page_lists_each_teams_needed_value_links_the_team_page_and_states_the_rule(director):
    """On 5100's page, 1a's team table shows JUR needs ≥ 6,9, links JUR's page and explains 'Referentie'."""
    html = director.get(f"/dashboard/college/5100/?jaar={YEAR}").content.decode()
    row = re.search(r'<tr data-team="5100-JUR".*?</tr>', html, re.S).group(0)
    assert "≥ 6,9" in row and 'href="/dashboard/college/5100/team/5100-JUR/?jaar=2022"' in row
    assert '<th scope="col" class="num">Nodig</th>' in html
    assert "Referentie: de waarde van het team in het nulmetingsjaar 2017" in html
    assert "minstens 0,4 beter scoort dan zijn referentie (streefcijfer 7,1 min nulmeting 6,7)" in html


def test_team_page_shows_reference_need_state_and_rule_per_indicator(director):
    """JUR's page: 1a ref. 6,5, needs ≥ 6,9, does not contribute, 0,3 short; the college needs 1 more team."""
    response = director.get(TEAM_PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr data-indicator="1a">.*?</tr>\s*<tr class="explain-row">.*?</tr>', html, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[:5] == ["6,6", "6,5", "≥ 6,9", "draagt niet bij", "nog 0,3 nodig"]
    assert 'data-state="notmet"' in row
    assert "Referentie 6,5 is de eigen waarde van het team in het nulmetingsjaar 2017" in row
    assert "nog 1 team nodig" in row


def test_team_page_is_readable_by_the_board_and_unknown_teams_are_404(client, rocvaf_demo, db):
    """The board reads a team's page without entry links; a team of another college is not found here."""
    board = login(client, "bestuur")
    html = board.get(TEAM_PAGE).content.decode()
    assert "draagt niet bij" in html and "Resultaten invoeren" not in html
    assert board.get("/dashboard/college/5100/team/5200-XYZ/").status_code == 404


def test_status_api_carries_needed_values_and_the_fallback_margin(director):
    """The STATUS gains needed, needed_strict, teams_reference and institution_distance; 3e names its fallback."""
    body = director.get(f"/api/v1/status/?year={YEAR}").json()
    by_code = {s["indicator"]: s for s in body["indicators"]}
    college = next(c for c in by_code["1a"]["colleges"] if c["college"] == "5100")
    jur = next(t for t in college["teams"] if t["team"] == "5100-JUR")
    assert (jur["needed"], jur["needed_strict"], jur["contributed"]) == (6.9, False, False)
    assert "teams_reference" in college
    assert by_code["3e"]["basis"] == "institution"
    assert by_code["3e"]["distance"].startswith("behaald via instellingsniveau, marge ")
    assert by_code["3e"]["institution_distance"].startswith("marge ")
    assert "nog 4 colleges nodig" in by_code["3e"]["distance"]


def test_export_and_print_page_tell_the_fallback_margin_and_the_needed_values(director):
    """The workbook's Status sheet and the print page say 'via instellingsniveau, marge'; Teams has 'Nodig'."""
    content = director.get(f"/dashboard/export.xlsx?jaar={YEAR}").content
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    status = [tuple(r) for r in wb["Status"].iter_rows(values_only=True)]
    header = status[0]
    row = next(r for r in status if "3e" in r)
    assert row[header.index("Afstand")].startswith("behaald via instellingsniveau, marge")
    teams = [tuple(r) for r in wb["Teams"].iter_rows(values_only=True)]
    jur = next(r for r in teams if r[0] == "1a" and r[2] == "5100-JUR")
    assert jur[teams[0].index("Nodig om bij te dragen")] == pytest.approx(6.9)
    assert jur[teams[0].index("Vergelijking")] == "≥"
    html = director.get(f"/dashboard/afdrukken/?jaar={YEAR}").content.decode()
    assert "behaald via instellingsniveau, marge" in html


def test_indicator_page_team_tables_show_the_needed_values_and_link_each_team(director):
    """On 1a's page, 5100's team table shows JUR needs ≥ 6,9 and links JUR's team page."""
    html = director.get(f"/dashboard/indicator/1a/?jaar={YEAR}").content.decode()
    row = re.search(r'<tr data-team="5100-JUR".*?</tr>', html, re.S).group(0)
    assert "≥ 6,9" in row and 'href="/dashboard/college/5100/team/5100-JUR/?jaar=2022"' in row
