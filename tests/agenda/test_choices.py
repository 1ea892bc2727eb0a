"""Definition, source and the institution's choices in the agenda file (contracts-extensions.md section 8)."""

import json

import pytest
import yaml

from agenda.models import BudgetYear, Indicator
from agenda.schema import AgendaFileError, choice_label, spec_state, validate_agenda
from agenda.selectors import agenda_document
from agenda.services import AgendaConflictError, agenda_load
from tests.agenda.test_applicability import indicator
from tests.agenda.test_load_agenda import rocvaf


def unshared() -> dict:
    """Return the shipped agenda with no shared parts (the file repeats reasons through YAML anchors)."""
    return json.loads(json.dumps(rocvaf()))


def without_extension(data: dict) -> dict:
    """Return `data` without definition, source and choices anywhere, as another institution's file."""
    for theme in data["themes"]:
        for ind in theme["indicators"]:
            for key in ("definition", "source", "choices"):
                ind.pop(key, None)
    for row in data["budget"]:
        row.pop("choices", None)
    return data


# -- the shipped file -----------------------------------------------------------------------------


def test_every_shipped_indicator_has_a_definition_and_a_source():
    """All 14 ROCvAF indicators state what is measured and where the figures come from."""
    spec = validate_agenda(rocvaf())
    indicators = [i for t in spec["themes"] for i in t["indicators"]]
    assert len(indicators) == 14
    assert all(i["definition"] and i["source"] for i in indicators)


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("2a-entree", "code"),  # the agenda has one indicator 2a; the file splits it
        ("2a-n2", "code"),
        ("2a-entree", "ambitions.tolerance"),  # the agenda names no margin for behoud
        ("2b", "ambitions.tolerance"),
        ("3b", "ambitions.2022.type"),  # Bijlage 1 and ch. 8.4 disagree
        ("4a", "baseline.year"),  # no year in the text
        ("4b", "baseline.year"),
        ("4c", "baseline.year"),
        ("5a", "baseline.year"),
        ("4b", "polarity"),  # monitor indicators without a direction in the agenda
        ("5a", "polarity"),
        ("3e", "ambitions.2022"),  # the 2022 ambition is set in 2020
    ],
)
def test_what_the_agenda_leaves_open_is_marked_as_a_choice_with_a_reason(code, field):
    """The known open points of the agenda are each a choice with its reason in the shipped file."""
    choices = {c["field"]: c["reason"] for c in indicator(rocvaf(), code)["choices"]}
    assert field in choices and len(choices[field]) > 40


def test_the_invented_top_slice_is_marked_on_every_budget_row():
    """central_pct 5 is not in the agenda: each budget row says so, as it does for the total and the 25 %."""
    for row in rocvaf()["budget"]:
        assert {c["field"] for c in row["choices"]} == {"total_eur", "result_dependent_pct", "central_pct"}


def test_a_file_without_the_extension_stays_valid():
    """Definition, source and choices are optional: another institution's file loads as before."""
    spec = validate_agenda(without_extension(unshared()))
    ind = spec["themes"][0]["indicators"][0]
    assert (ind["definition"], ind["source"], ind["choices"]) == ("", "", [])
    assert spec["budget"][0]["choices"] == []


# -- the schema -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (
            lambda d: indicator(d, "4b")["choices"].append({"field": "baselin.year", "reason": "x"}),
            "themes[3].indicators[1].choices[5].field",
            "bedoelde u 'baseline.year'",
        ),
        (
            lambda d: indicator(d, "4b")["choices"].append({"field": "unit"}),
            "themes[3].indicators[1].choices[5].reason",
            "ontbreekt",
        ),
        (
            lambda d: indicator(d, "4b")["choices"].append({"field": "unit", "reason": " "}),
            "themes[3].indicators[1].choices[5].reason",
            "mag niet leeg zijn",
        ),
        (
            lambda d: indicator(d, "4b")["choices"].append({"field": "unit", "reason": "x", "why": "y"}),
            "themes[3].indicators[1].choices[5].why",
            "onbekende sleutel",
        ),
        (
            lambda d: indicator(d, "4b")["choices"].append("polarity"),
            "themes[3].indicators[1].choices[5]",
            "verwacht een object",
        ),
        (
            lambda d: indicator(d, "4b")["choices"].append({"field": "polarity", "reason": "nog eens"}),
            "themes[3].indicators[1].choices[5].field",
            "twee keer",
        ),
        (
            lambda d: indicator(d, "3b")["choices"].append({"field": "ambitions.2021.type", "reason": "x"}),
            "themes[2].indicators[1].choices[4].field",
            "geen ambitie voor 2021",
        ),
        (
            lambda d: indicator(d, "3b")["choices"].append({"field": "ambitions.2022.goal", "reason": "x"}),
            "themes[2].indicators[1].choices[4].field",
            "type, target, tolerance, indicative",
        ),
        (lambda d: indicator(d, "1b").update(choices="polarity"), "themes[0].indicators[1].choices", "lijst"),
        (
            lambda d: d["budget"][0]["choices"].append({"field": "central", "reason": "x"}),
            "budget[0].choices[3].field",
            "bedoelde u 'central_pct'",
        ),
        (lambda d: indicator(d, "1b").update(source=["DUO"]), "themes[0].indicators[1].source", "tekst"),
    ],
)
def test_a_malformed_choice_is_reported_with_its_path(mutate, path, fragment):
    """Each mistake in a choices entry (or the source) names its path in the file and what is wrong."""
    data = unshared()
    mutate(data)
    with pytest.raises(AgendaFileError) as excinfo:
        validate_agenda(data)
    assert any(e.startswith(path + ":") and fragment in e for e in excinfo.value.errors), excinfo.value.errors


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("polarity", "richting (wat beter is)"),
        ("baseline.year", "nulmeting: jaar"),
        ("ambitions.2022.type", "ambitie 2022: soort"),
        ("ambitions.tolerance", "ambities: marge van behoud"),
        ("ambitions.2022", "ambitie 2022"),
        ("central_pct", "deel voor gemeenschappelijke voorzieningen"),
    ],
)
def test_each_choice_field_has_dutch_words_for_the_page(field, words):
    """choice_label turns the field a choice names into the words the indicator page shows."""
    assert choice_label(field) == words


# -- the loader and the backup ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_loader_stores_definition_source_and_choices():
    """The indicator and the budget year keep what the file says, in the file's order."""
    data = rocvaf()
    inst = agenda_load(data=data).institution
    stored = Indicator.objects.get(institution=inst, code="4b")
    given = indicator(data, "4b")
    assert stored.definition == given["definition"] and stored.source == given["source"]
    assert stored.choices == [{"field": c["field"], "reason": c["reason"]} for c in given["choices"]]
    assert stored.marked_choices[0]["label"] == "richting (wat beter is)"
    budget = BudgetYear.objects.get(institution=inst, year=2020)
    assert [c["field"] for c in budget.choices] == ["total_eur", "result_dependent_pct", "central_pct"]


@pytest.mark.django_db
def test_the_backup_round_trips_definition_source_and_choices():
    """agenda_document writes the new fields; read back it gives the same settings and a load of it changes nothing."""
    data = rocvaf()
    inst = agenda_load(data=data).institution
    document = agenda_document(inst)
    assert indicator(document, "5a")["definition"] == indicator(data, "5a")["definition"]
    assert indicator(document, "5a")["choices"] == indicator(data, "5a")["choices"]
    assert document["budget"][3]["choices"] == data["budget"][3]["choices"]
    assert spec_state(validate_agenda(document)) == spec_state(validate_agenda(data))
    # Through YAML, as export_institution writes it: the same settings, and nothing to load.
    again = yaml.safe_load(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    assert agenda_load(data=again, source="backup.yaml").changes == 0


@pytest.mark.django_db
def test_the_backup_of_an_agenda_without_the_extension_has_none_of_its_keys():
    """An indicator or budget row without definition, source or choices is written without those keys."""
    inst = agenda_load(data=without_extension(unshared())).institution
    document = agenda_document(inst)
    assert not {"definition", "source", "choices"} & set(indicator(document, "2b"))
    assert "choices" not in document["budget"][0]


# -- the loader's memory of the new fields (domain.md, "The agenda changes over time") ----------------


@pytest.mark.django_db
def test_a_database_loaded_before_the_extension_takes_the_new_fields_without_a_conflict():
    """A load that never set definition, source or choices is followed by the full file quietly."""
    agenda_load(data=without_extension(unshared()))
    inst = agenda_load(data=rocvaf()).institution
    assert Indicator.objects.get(institution=inst, code="4b").choices


@pytest.mark.django_db
def test_a_definition_changed_in_the_app_is_a_conflict_and_never_silently_undone():
    """Policy staff edit 4b's definition in the admin; a reload of the file stops and names it."""
    inst = agenda_load(data=rocvaf()).institution
    ind = Indicator.objects.get(institution=inst, code="4b")
    ind.definition = "Aandeel studenten in techniek, zorg en hospitality."
    ind.save()
    changed = unshared()
    indicator(changed, "4b")["definition"] = "Een andere definitie in het bestand."
    with pytest.raises(AgendaConflictError) as excinfo:
        agenda_load(data=changed)
    assert [c.split(":")[0] + ":" + c.split(":")[1] for c in excinfo.value.conflicts] == ["indicator 4b: definition"]
    assert Indicator.objects.get(pk=ind.pk).definition == "Aandeel studenten in techniek, zorg en hospitality."


@pytest.mark.django_db
def test_choices_the_file_drops_are_removed_and_app_only_values_are_kept():
    """Leaving choices out of the file removes those the file set; a source set only in the app stays."""
    data = without_extension(unshared())
    indicator(data, "4b")["choices"] = [{"field": "polarity", "reason": "geen richting in de agenda"}]
    inst = agenda_load(data=data).institution
    one_b = Indicator.objects.get(institution=inst, code="1b")
    one_b.source = "STO (ingevuld in de applicatie)"
    one_b.save()
    indicator(data, "4b").pop("choices")
    agenda_load(data=data)
    assert Indicator.objects.get(institution=inst, code="4b").choices == []
    assert Indicator.objects.get(pk=one_b.pk).source == "STO (ingevuld in de applicatie)"
