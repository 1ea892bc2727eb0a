"""A posted grid outside every limit (a huge n, a forged fingerprint) gets a message and a 400, never a 500.

Python refuses int() of more than 4300 digits and the write service refuses an n above
kern.rules.MAX_WHOLE with a ValidationError: both used to escape the grid as a server error and
lose what the user had typed.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from invoer import views as grid_views
from invoer.grid import grid_parse, value_text
from kern.rules import MAX_WHOLE, n_problem
from tests.invoer.test_grid import GRID, YEAR, _cell, grid_form, key, stored

URL = f"{GRID.format(code='5100')}?jaar={YEAR}"
MSG_N_RANGE = n_problem(MAX_WHOLE + 1)
HUGE = "1" * 5000  # past Python's 4300-digit limit of int()


@pytest.mark.parametrize("n", [str(MAX_WHOLE + 1), "99999999999", HUGE, "0" * 5000 + "5"])
def test_an_n_beyond_storage_gets_the_one_rule_message_on_the_cell(n):
    """n above 2147483647, even of 5000 digits, gets kern.rules' message; the entry stays as typed."""
    grid, cell = _cell("percent")
    submission = grid_parse(grid, {f"v_{cell.key}": "50", f"n_{cell.key}": n, f"o_{cell.key}": ""})
    if n.lstrip("0") == "5":
        assert not cell.has_error and [row.n for row in submission.rows] == [5]  # leading zeros are no size
        return
    assert cell.n_error == MSG_N_RANGE
    assert submission.rows == []
    assert (cell.value_input, cell.n_input) == ("50", n)


def test_the_largest_n_storage_holds_is_accepted():
    """n = 2147483647 is a valid n: the bound itself is allowed."""
    grid, cell = _cell("percent")
    submission = grid_parse(grid, {f"v_{cell.key}": "50", f"n_{cell.key}": str(MAX_WHOLE), f"o_{cell.key}": ""})
    assert not cell.has_error and [row.n for row in submission.rows] == [MAX_WHOLE]


def test_a_forged_fingerprint_with_a_huge_n_never_matches_a_stored_cell():
    """An o_ field '50;<5000 digits>' is read without error as an n no stored cell can have."""
    grid, cell = _cell("percent", "50", 10)
    submission = grid_parse(grid, {f"v_{cell.key}": "45", f"n_{cell.key}": "10", f"o_{cell.key}": f"50;{HUGE}"})
    assert not cell.has_error
    [row] = submission.rows
    assert row.expected[0] == Decimal("50") and row.expected[1] > MAX_WHOLE


@pytest.fixture
def director(client, rocvaf_demo, db):
    """Return a client logged in as the director of 5100."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


def _fields(client) -> dict:
    """Return the grid form's fields as the browser would post them."""
    return grid_form(client.get(URL).content.decode()).fields


def _kept(response, posted: dict) -> None:
    """Assert that the re-rendered form holds every value and n the user had posted."""
    shown = grid_form(response.content.decode()).fields
    typed = {name: text for name, text in posted.items() if name[:2] in ("v_", "n_")}
    assert {name: shown.get(name) for name in typed} == typed


@pytest.mark.parametrize("n", ["99999999999", HUGE])
def test_the_page_answers_400_with_the_message_beside_the_cell_and_keeps_every_entry(director, n):
    """A huge n beside a valid change: 400, kern.rules' message at the cell, nothing stored, both entries back."""
    before = (stored("1a", "5100-JUR"), stored("2b", "5100-PW"))
    fields = _fields(director)
    fields[f"n_{key('1a', '5100-JUR')}"] = n
    fields[f"v_{key('2b', '5100-PW')}"] = "55"
    response = director.post(URL, fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<span class="cell-error" id="ne_{key("1a", "5100-JUR")}">{MSG_N_RANGE}</span>' in html
    assert (stored("1a", "5100-JUR"), stored("2b", "5100-PW")) == before
    _kept(response, fields)


def test_a_forged_fingerprint_is_a_conflict_not_a_server_error(director):
    """o_ = '<value>;<5000 digits>': 400 naming what is stored, nothing stored, the entry kept."""
    cell_key = key("1a", "5100-JUR")
    value, n = stored("1a", "5100-JUR")
    fields = _fields(director)
    fields[f"v_{cell_key}"] = "6,3"
    fields[f"o_{cell_key}"] = f"{value_text(value)};{HUGE}"
    response = director.post(URL, fields)
    assert response.status_code == 400
    assert f"Intussen gewijzigd (nu {value_text(value)})" in response.content.decode()
    assert stored("1a", "5100-JUR") == (value, n)
    _kept(response, fields)


def test_a_value_the_write_service_refuses_comes_back_on_the_page_with_400(director, monkeypatch):
    """A ValidationError of the write service (its last check) is shown on the page, the entries kept."""

    def refuse(**kwargs):
        raise ValidationError("n moet een geheel getal van 0 tot en met 2147483647 zijn.")

    monkeypatch.setattr(grid_views, "grid_save", refuse)
    before = stored("1a", "5100-JUR")
    fields = _fields(director)
    fields[f"v_{key('1a', '5100-JUR')}"] = "6,3"
    response = director.post(URL, fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="grid-refused"' in html and "n moet een geheel getal van 0 tot en met 2147483647 zijn." in html
    assert stored("1a", "5100-JUR") == before
    _kept(response, fields)
