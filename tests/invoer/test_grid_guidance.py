"""Guidance in the grid (issue 15, item 1): per team its reference, the value it needs, whether it contributes."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from agenda.models import College
from invoer.grid import grid_build
from tests.invoer.test_grid import GRID, YEAR, post_grid


@pytest.fixture
def director(client, rocvaf_demo, db):
    """Return a client logged in as the director of 5100."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


def _guide(html: str, cell_key: str) -> str:
    """Return the text of one cell's guidance line."""
    return re.search(rf'id="g_{cell_key}" data-state="(\w+)"><span class="guide-hint">(.*?)</span>', html).groups()


def test_every_cell_shows_reference_need_and_state_with_the_rule_for_screen_readers(director):
    """JUR on 1a in 2022: ref. 6,5, needs ≥ 6,9, short by 0,3; the input is described by the full rule."""
    college = College.objects.get(code="5100")
    cell = next(c for c in grid_build(college, YEAR).cells() if (c.team.code, c.indicator.code) == ("5100-JUR", "1a"))
    html = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}").content.decode()
    state, hint = _guide(html, cell.key)
    assert (state, hint) == ("notmet", "ref. 6,5 · nodig ≥ 6,9 · nog 0,3 nodig")
    assert re.search(rf'id="v_{cell.key}"[^>]*aria-describedby="[^"]*g_{cell.key}', html, re.S)
    sentence = re.search(rf'id="g_{cell.key}".*?<span class="visually-hidden">(.*?)</span>', html, re.S).group(1)
    assert "draagt niet bij" in sentence and "Referentie 6,5 is de eigen waarde van het team" in sentence
    assert "streefcijfer 7,1 min nulmeting 6,7" in sentence


def test_footer_says_how_many_more_teams_the_college_needs(director):
    """1a in 2022: 5 of 9 contributed, two-thirds is 6: 'nog 1 team nodig'; 1b (8 of 9) needs none."""
    html = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}").content.decode()
    assert re.search(r'id="needed-1a">nog 1 team nodig</td>', html)
    assert re.search(r'id="needed-1b"><span class="muted">niets: gehaald</span>', html)


def test_exactly_the_needed_value_flips_the_team_one_step_short_does_not(director, django_capture_on_commit_callbacks):
    """Saving JUR at 6,899999 leaves it 'draagt niet bij'; at exactly 6,9 the recomputed engine says it contributes."""
    college = College.objects.get(code="5100")

    def jur():
        grid = grid_build(college, YEAR)
        cell = next(c for c in grid.cells() if (c.team.code, c.indicator.code) == ("5100-JUR", "1a"))
        return cell.guide, grid.guides[[i.code for i in grid.indicators].index("1a")].college

    need = jur()[0].need.value
    assert need == Decimal("6.9")
    with django_capture_on_commit_callbacks(execute=True):
        post_grid(director, "5100", {("1a", "5100-JUR"): "6,899999"})
    guide, entry = jur()
    assert guide.contributes is False
    assert next(t for t in entry["teams"] if t["team"] == "5100-JUR")["contributed"] is False
    with django_capture_on_commit_callbacks(execute=True):
        post_grid(director, "5100", {("1a", "5100-JUR"): "6,9"})
    guide, entry = jur()
    assert guide.contributes is True and guide.state == "draagt bij"
    assert next(t for t in entry["teams"] if t["team"] == "5100-JUR")["contributed"] is True
    assert (entry["met"], entry["teams_contributed"]) == (True, 6)


def test_read_only_grid_shows_the_guidance_too(client, rocvaf_demo, db):
    """A board member sees the same guidance lines, without inputs."""
    client.force_login(get_user_model().objects.get(username="bestuur"))
    html = client.get(f"{GRID.format(code='5100')}?jaar={YEAR}").content.decode()
    assert "ref. 6,5 · nodig ≥ 6,9 · nog 0,3 nodig" in html
