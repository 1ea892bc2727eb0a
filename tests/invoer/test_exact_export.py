"""An agenda file keeps every digit of its numbers, read and written (domain.md; issue 11 part 7).

A YAML or JSON number used to become a float, which keeps 15 to 17 significant digits: an
unquoted target of 123456789012,345678 was rounded before the checks saw it, and the backup
(export_institution's agenda.yaml) wrote long values rounded.
"""

import json
from decimal import Decimal

import pytest

from agenda.schema import dump_agenda_text, parse_agenda_text, validate_agenda
from tests.rapportage.exact_world import V18, exact_agenda, load_exact_world, run

BASE = "123456789012.345677"


def _target(spec: dict) -> Decimal:
    """Return the target of the only ambition of the only indicator."""
    return spec["themes"][0]["indicators"][0]["ambitions"][0]["target"]


def test_an_unquoted_yaml_number_keeps_every_digit():
    """target: 123456789012.345678 in a YAML file is that number, not the nearest float."""
    data = exact_agenda()
    data["themes"][0]["indicators"][0]["ambitions"][0]["target"] = Decimal(V18)
    text = dump_agenda_text(data)
    assert f"target: {V18}\n" in text
    parsed = parse_agenda_text(text, "agenda.yaml")
    assert _target(validate_agenda(parsed)) == Decimal(V18)


def test_a_json_number_keeps_every_digit():
    """The same in a JSON agenda file."""
    text = json.dumps(exact_agenda()).replace(json.dumps("123456789012,345678"), V18)
    assert f'"target": {V18}' in text
    assert _target(validate_agenda(parse_agenda_text(text, "agenda.json"))) == Decimal(V18)


def test_ordinary_numbers_read_as_before():
    """6.7 and 25 stay 6.7 and 25; YAML's .inf is still refused as a number."""
    data = parse_agenda_text("a: 6.7\nb: 25\nc: .inf\nd: '6,7'\n", "agenda.yaml")
    assert data == {"a": Decimal("6.7"), "b": 25, "c": float("inf"), "d": "6,7"}


@pytest.mark.django_db
def test_the_backup_writes_long_values_with_every_digit(tmp_path, django_capture_on_commit_callbacks):
    """export_institution's agenda.yaml has the 18-digit baseline and target, and loads back to the same."""
    with django_capture_on_commit_callbacks(execute=True):
        institution = load_exact_world()
    status, out, err = run("export_institution", str(tmp_path), "--institution", institution.code)
    assert status == 0, err
    text = (tmp_path / "agenda.yaml").read_text(encoding="utf-8")
    assert f"value: {BASE}\n" in text and f"target: {V18}\n" in text
    spec = validate_agenda(parse_agenda_text(text, "agenda.yaml"))
    indicator = spec["themes"][0]["indicators"][0]
    assert (indicator["baseline_value"], _target(spec)) == (Decimal(BASE), Decimal(V18))
