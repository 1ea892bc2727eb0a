"""Baseline-year cells the user cannot write are read-only in the grid, with the reason (domain.md, "Sign-off and locking").

Before, a director's grid showed the cells of a baseline year (one a herijking set included) as
inputs: the director typed, saved, and only then learnt the write service refuses them. The grid
now asks the write service's own baseline checks and shows those cells as values with the reason;
the service still refuses a forged save.
"""

import re

import pytest
from django.contrib.auth import get_user_model

from agenda.models import College, Indicator, Team
from indicatoren.models import Measurement
from rapportage.templatetags.kwaliteit import nl
from tests.invoer.test_grid import GRID, grid_form, key, post_grid

BASELINE_YEAR = 2019
URL = f"{GRID.format(code='5100')}?jaar={BASELINE_YEAR}"
LEGEND_BASELINE = "Nulmetingsjaar: alleen beleidsmedewerkers wijzigen deze waarden."
LEGEND_APPROVED = "Nulmeting van een vastgesteld jaar"


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _login(client, username: str):
    client.force_login(_user(username))
    return client


@pytest.fixture
def revised(rocvaf_demo):
    """1a is judged against 2019 from 2021 on (a herijking): 2019 becomes a baseline year of 1a."""
    from agenda.services import baseline_revise

    indicator = Indicator.objects.get(institution=rocvaf_demo, code="1a")
    baseline_revise(
        indicator=indicator,
        from_year=2021,
        baseline_year=BASELINE_YEAR,
        reason="herijking 2020",
        author=_user("beleid"),
    )
    return indicator


def _teams_with_1a() -> list[str]:
    """Return the 5100 teams that have a 1a value in 2019, in code order."""
    return list(
        Measurement.objects.filter(indicator__code="1a", team__college__code="5100", year=BASELINE_YEAR)
        .order_by("team__code")
        .values_list("team__code", flat=True)
    )


def _header(html: str, code: str) -> str:
    """Return the header cell of the indicator column `code`."""
    return next(
        th for th in re.findall(r"<th scope=\"col\" class=\"ind-col[^\"]*\".*?</th>", html) if f">{code}<" in th
    )


@pytest.mark.parametrize("username", ["directeur5100", "teamleider5100"])
def test_a_directors_baseline_year_cells_are_values_with_the_reason_not_inputs(client, revised, username):
    """directeur5100 and teamleider5100 in 2019: no 1a field in any row, the reason in the header and above the grid."""
    writer = _login(client, username)
    response = writer.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    fields = grid_form(html).fields
    teams = _teams_with_1a()
    assert teams
    for team in teams:
        assert f"v_{key('1a', team)}" not in fields and f"o_{key('1a', team)}" not in fields
    # The other columns keep their fields: a teamleider's own row, a director's every row.
    own = [team.code for team in Team.objects.filter(college__code="5100") if f"v_{key('1b', team.code)}" in fields]
    assert own and (username == "teamleider5100") == (len(own) == 1)
    assert LEGEND_BASELINE in html and "kolom 1a" in html
    header = _header(html, "1a")
    assert "alleen lezen" in header and "2019 is het referentiejaar (nulmeting) van 1a of eerder" in header
    assert "alleen lezen" not in _header(html, "1b")
    # The stored value is still shown, with its history link.
    m = Measurement.objects.filter(indicator__code="1a", team__code=teams[0], year=BASELINE_YEAR).get()
    assert f"/geschiedenis/{teams[0]}/1a/?jaar={BASELINE_YEAR}" in html
    assert f'<td class="cell num">{nl(m.value)}' in html
    assert 'aria-describedby="grid-locks"' in html and "Opslaan" in html


def test_a_year_that_is_no_baseline_keeps_its_fields(client, revised):
    """2020 is judged against 2017 and is no baseline year: the director's 1a cells are inputs, no legend."""
    html = _login(client, "directeur5100").get(f"{GRID.format(code='5100')}?jaar=2020").content.decode()
    team = _teams_with_1a()[0]
    assert f"v_{key('1a', team)}" in grid_form(html).fields
    assert LEGEND_BASELINE not in html and 'id="grid-locks"' not in html


def test_policy_staff_write_the_baseline_year_in_the_grid(client, revised):
    """beleid may write 2019's 1a values (policy scope): inputs, no legend."""
    html = _login(client, "beleid").get(URL).content.decode()
    team = _teams_with_1a()[0]
    assert f"v_{key('1a', team)}" in grid_form(html).fields
    assert LEGEND_BASELINE not in html and 'id="grid-locks"' not in html


def test_a_baseline_judged_by_an_approved_year_is_read_only_for_everyone(client, revised, rocvaf_demo):
    """2021 approved for 5100 and judged against 2019: 1a's 2019 cells are values for policy staff too, with why."""
    from indicatoren.signoff import signoff_approve

    college = College.objects.get(institution=rocvaf_demo, code="5100")
    signoff_approve(institution=rocvaf_demo, year=2021, college=college, user=_user("beleid"))
    html = _login(client, "beleid").get(URL).content.decode()
    fields = grid_form(html).fields
    team = _teams_with_1a()[0]
    assert f"v_{key('1a', team)}" not in fields and f"v_{key('1b', team)}" in fields
    assert LEGEND_APPROVED in html and LEGEND_BASELINE not in html
    assert "2019 is de nulmeting waarmee 2021 wordt beoordeeld, en het jaar 2021 is voor college 5100" in _header(
        html, "1a"
    )


def test_both_reasons_for_a_director_when_the_baseline_is_also_locked(client, revised, rocvaf_demo):
    """For a director both hold: only policy staff, and not before 2021 is reopened; both lines are shown."""
    from indicatoren.signoff import signoff_approve

    college = College.objects.get(institution=rocvaf_demo, code="5100")
    signoff_approve(institution=rocvaf_demo, year=2021, college=college, user=_user("beleid"))
    html = _login(client, "directeur5100").get(URL).content.decode()
    assert LEGEND_APPROVED in html and LEGEND_BASELINE in html
    header = _header(html, "1a")
    assert "wordt beoordeeld" in header and "referentiejaar" in header


def test_a_save_sends_no_read_only_cell_and_stores_the_others(client, revised):
    """The page's own form posts no 1a field; a 1b change is saved as usual."""
    director = _login(client, "directeur5100")
    team = _teams_with_1a()[0]
    response = post_grid(director, "5100", {("1b", team): "7,15"}, year=BASELINE_YEAR)
    assert response.status_code == 302
    messages = [str(m) for m in director.get(URL).context["messages"]]
    assert any("1 gewijzigd" in message for message in messages), messages


def test_the_service_still_refuses_a_forged_baseline_cell_and_keeps_what_was_typed(client, revised):
    """A post that adds a 1a field anyway is refused by the write service; the cell shows the message and the entry."""
    director = _login(client, "directeur5100")
    team = _teams_with_1a()[0]
    before = Measurement.objects.get(indicator__code="1a", team__code=team, year=BASELINE_YEAR).value
    response = post_grid(director, "5100", {("1a", team): "6,05"}, year=BASELINE_YEAR)
    assert response.status_code >= 400
    html = response.content.decode()
    assert "2019 is het referentiejaar (nulmeting) van 1a" in html
    assert grid_form(html).fields[f"v_{key('1a', team)}"] == "6,05"  # nothing typed is lost
    assert Measurement.objects.get(indicator__code="1a", team__code=team, year=BASELINE_YEAR).value == before


def test_a_row_splits_into_runs_of_locked_and_open_cells_and_a_grid_of_locked_cells_has_no_fields():
    """Adjacent cells of one kind form one run; a locked run is not editable; no open cell means no Opslaan."""
    from invoer.grid import Cell, ColumnLock, Grid, GridRow

    lock = ColumnLock(kinds=("baseline",), reason="alleen beleid")
    team = Team(code="T")
    cells = [Cell(team=team, indicator=Indicator(code=code), measurement=None) for code in ("a", "b", "c", "d")]
    cells[0].locked = cells[1].locked = cells[3].locked = lock
    row = GridRow(team=team, cells=cells)
    assert [([c.indicator.code for c in run.cells], run.editable) for run in row.runs] == [
        (["a", "b"], False),
        (["c"], True),
        (["d"], False),
    ]
    grid = Grid(college=College(code="C"), year=2019, indicators=[c.indicator for c in cells], rows=[row])
    assert grid.has_fields
    cells[2].locked = lock
    assert not grid.has_fields
    cells[2].locked = None
    row.editable = False  # a teamleider's other team
    assert not grid.has_fields and not any(run.editable for run in row.runs)
