"""The agenda file's `breakdowns` and `composite` keys (issue 18): checked with their paths, loaded, exported back."""

from decimal import Decimal

import pytest

from agenda.models import CompositeComponent, Indicator
from agenda.schema import AgendaFileError, dump_agenda_text, parse_agenda_text, validate_agenda
from agenda.selectors import agenda_document
from agenda.services import AgendaConflictError, agenda_load
from tests.agenda.composite_world import composite_agenda


def indicator(data: dict, code: str) -> dict:
    """Return the indicator `code` of an agenda dict."""
    return next(i for t in data["themes"] for i in t["indicators"] if i["code"] == code)


def errors_of(data: dict) -> list[str]:
    """Return the errors validate_agenda reports for `data` (none: an empty list)."""
    try:
        validate_agenda(data)
    except AgendaFileError as exc:
        return exc.errors
    return []


def stored(inst, code: str) -> tuple:
    """Return (breakdowns, weight_by_n, [(component, weight)]) of a stored indicator."""
    row = Indicator.objects.get(institution=inst, code=code)
    parts = [(c.component.code, c.weight) for c in row.components.select_related("component").order_by("position")]
    return row.breakdowns, row.composite_weight_by_n, parts


def test_a_valid_file_gives_breakdowns_and_the_composite():
    """Dimensions and groups become text in file order; weights exact decimals; weight_by_n defaults to false."""
    spec = validate_agenda(composite_agenda())
    les = indicator(spec, "1a-les")
    assert les["breakdowns"] == {"vooropleiding": ["PrO", "vso", "vmbo-b"], "niveau": ["1", "2", "3", "4"]}
    assert les["composite"] is None
    ibm = indicator(spec, "1a")
    assert ibm["breakdowns"] == {}
    assert ibm["composite"] == {
        "weight_by_n": False,
        "components": [
            {"indicator": "1a-les", "weight": Decimal("0.5")},
            {"indicator": "1a-beg", "weight": Decimal("0.3")},
            {"indicator": "1a-sfeer", "weight": Decimal("0.2")},
        ],
    }


def _set(code: str, key: str, value):
    """Return a mutation that sets indicator `code`'s `key`."""

    def mutate(data):
        indicator(data, code)[key] = value

    return mutate


def _component(k: int, **changes):
    """Return a mutation of the composite's k-th component."""

    def mutate(data):
        indicator(data, "1a")["composite"]["components"][k].update(changes)

    return mutate


def _nested(data):
    indicator(data, "1a-les")["composite"] = {
        "components": [{"indicator": "1a-beg", "weight": 1}, {"indicator": "1a-sfeer", "weight": 1}]
    }


P = "themes[0].indicators"


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (_set("1a-les", "breakdowns", ["PrO"]), f"{P}[1].breakdowns", "per dimensie een lijst"),
        (_set("1a-les", "breakdowns", {"vooropleiding": []}), f"{P}[1].breakdowns.vooropleiding", "minstens één"),
        (_set("1a-les", "breakdowns", {"voor:opleiding": ["PrO"]}), f"{P}[1].breakdowns.voor:opleiding", "':'"),
        (_set("1a-les", "breakdowns", {"v": ["PrO", "pro"]}), f"{P}[1].breakdowns.v[1]", "twee keer"),
        (_set("1a-les", "breakdowns", {"v": ["x" * 61]}), f"{P}[1].breakdowns.v[0]", "hoogstens 60"),
        (_set("1a-les", "breakdowns", {"v" * 41: ["PrO"]}), f"{P}[1].breakdowns.{'v' * 41}", "hoogstens 40"),
        (_set("1a-les", "breakdowns", {"v": "PrO"}), f"{P}[1].breakdowns.v", "verwacht een lijst"),
        (_component(0, weight=0), f"{P}[0].composite.components[0].weight", "groter zijn dan 0"),
        (_component(0, weight=-1), f"{P}[0].composite.components[0].weight", "buiten"),
        (_component(0, weight="0,1234567"), f"{P}[0].composite.components[0].weight", "decimalen"),
        (_component(1, indicator="1a-bg"), f"{P}[0].composite.components[1].indicator", "bedoelde u '1a-beg'"),
        (_component(1, indicator="1a"), f"{P}[0].composite.components[1].indicator", "van zichzelf"),
        (_component(1, indicator="1a-les"), f"{P}[0].composite.components[1].indicator", "twee keer"),
        (_nested, f"{P}[0].composite.components[0].indicator", "zelf samengesteld"),
        (_set("1a-beg", "unit", "score"), f"{P}[0].composite.components[1].indicator", "eenheid score"),
        (_set("1a-beg", "polarity", "lower"), f"{P}[0].composite.components[1].indicator", "richting lower"),
        (
            _set("1a", "composite", {"components": [{"indicator": "1a-les", "weight": 1}]}),
            f"{P}[0].composite.components",
            "minstens twee",
        ),
        (_set("1a", "composite", {"components": [], "wegen": True}), f"{P}[0].composite.wegen", "onbekende sleutel"),
        (
            _set("1a", "composite", {"components": [{"weight": 1}] * 2}),
            f"{P}[0].composite.components[0].indicator",
            "ontbreekt",
        ),
        (
            _set("1a", "composite", {"weight_by_n": "ja", "components": []}),
            f"{P}[0].composite.weight_by_n",
            "true of false",
        ),
    ],
)
def test_each_problem_is_reported_with_its_path(mutate, path, fragment):
    """A wrong breakdown or composite is reported in Dutch at its path in the file."""
    data = composite_agenda()
    mutate(data)
    errors = errors_of(data)
    assert any(e.startswith(f"{path}:") and fragment in e for e in errors), errors


@pytest.mark.django_db
def test_loading_stores_breakdowns_and_components_and_twice_changes_nothing():
    """The loader writes breakdowns, weight_by_n and one CompositeComponent per component; a second load writes nothing."""
    report = agenda_load(data=composite_agenda(weight_by_n=True))
    inst = report.institution
    assert stored(inst, "1a") == (
        {},
        True,
        [("1a-les", Decimal("0.5")), ("1a-beg", Decimal("0.3")), ("1a-sfeer", Decimal("0.2"))],
    )
    assert stored(inst, "1a-les")[0] == {"vooropleiding": ["PrO", "vso", "vmbo-b"], "niveau": ["1", "2", "3", "4"]}
    assert report.created["componenten"] == 3
    again = agenda_load(data=composite_agenda(weight_by_n=True))
    assert again.changes == 0, again.summary()


@pytest.mark.django_db
def test_a_changed_composite_is_applied_and_one_left_out_is_removed():
    """New weights replace the old; a composite or breakdown the file no longer has is removed (the previous load set it)."""
    inst = agenda_load(data=composite_agenda()).institution
    data = composite_agenda()
    indicator(data, "1a")["composite"]["components"] = [
        {"indicator": "1a-beg", "weight": 2},
        {"indicator": "1a-les", "weight": Decimal("0.25")},
    ]
    agenda_load(data=data)
    assert stored(inst, "1a")[2] == [("1a-beg", Decimal(2)), ("1a-les", Decimal("0.25"))]
    del indicator(data, "1a")["composite"]
    del indicator(data, "1a-les")["breakdowns"]
    agenda_load(data=data)
    assert stored(inst, "1a") == ({}, False, [])
    assert stored(inst, "1a-les")[0] == {}


@pytest.mark.django_db
def test_a_composite_changed_in_the_application_is_a_conflict():
    """A weight changed after the file's load is not silently undone: the loader names it (unless --file-wins)."""
    inst = agenda_load(data=composite_agenda()).institution
    CompositeComponent.objects.filter(composite__institution=inst, component__code="1a-les").update(
        weight=Decimal("0.6")
    )
    with pytest.raises(AgendaConflictError) as caught:
        agenda_load(data=composite_agenda())
    assert any(c.startswith("indicator 1a: composite:") for c in caught.value.conflicts), caught.value.conflicts
    agenda_load(data=composite_agenda(), file_wins=True)
    assert stored(inst, "1a")[2][0] == ("1a-les", Decimal("0.5"))


@pytest.mark.django_db
def test_an_invalid_composite_changes_nothing():
    """A file with a wrong composite stores nothing at all (atomic)."""
    data = composite_agenda()
    indicator(data, "1a")["composite"]["components"][0]["indicator"] = "onbekend"
    with pytest.raises(AgendaFileError):
        agenda_load(data=data)
    assert not Indicator.objects.filter(institution__code="CMP").exists()


@pytest.mark.django_db
def test_the_agenda_document_writes_both_keys_back_and_round_trips():
    """agenda_document (the backup) writes breakdowns and composite; loading it elsewhere gives the same definitions."""
    inst = agenda_load(data=composite_agenda(weight_by_n=True)).institution
    document = agenda_document(inst)
    assert indicator(document, "1a")["composite"] == {
        "weight_by_n": True,
        "components": [
            {"indicator": "1a-les", "weight": 0.5},
            {"indicator": "1a-beg", "weight": 0.3},
            {"indicator": "1a-sfeer", "weight": 0.2},
        ],
    }
    assert indicator(document, "1a-les")["breakdowns"] == {
        "vooropleiding": ["PrO", "vso", "vmbo-b"],
        "niveau": ["1", "2", "3", "4"],
    }
    assert "composite" not in indicator(document, "1a-beg") and "breakdowns" not in indicator(document, "1a-beg")
    text = dump_agenda_text(document).replace("code: CMP", "code: CMQ")
    copy = agenda_load(data=parse_agenda_text(text)).institution
    for code in ("1a", "1a-les", "1a-beg"):
        assert stored(copy, code) == stored(inst, code)
    # Loading the backup over the institution it came from changes nothing.
    assert agenda_load(data=parse_agenda_text(dump_agenda_text(document))).changes == 0


@pytest.mark.django_db
def test_the_admin_shows_the_composite_read_only(admin_client):
    """The indicator's admin page lists the components and weights; breakdowns and components are not editable there."""
    inst = agenda_load(data=composite_agenda()).institution
    ibm = Indicator.objects.get(institution=inst, code="1a")
    page = admin_client.get(f"/admin/agenda/indicator/{ibm.pk}/change/").content.decode()
    assert "wijzig in het agendabestand" in page and "1a-les" in page
    assert 'name="breakdowns"' not in page and 'name="components-0-weight"' not in page
