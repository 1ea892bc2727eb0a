"""Every field of the project's models has a Dutch label: the admin and the ModelForms show it.

A field without verbose_name shows its code name ("Institution", "Created by"); 50 foreign keys did
until migration 0013 of agenda (and its siblings in the other apps).
"""

from django.apps import apps

PROJECT_APPS = ("agenda", "indicatoren", "maatregelen", "rapportage", "invoer", "kern", "kwaliteit")
# Code names that are also the Dutch word for what they hold.
DUTCH_ALREADY = {
    "code",
    "college",
    "colleges",
    "factor",
    "id",
    "indicator",
    "link",
    "partner",
    "quadrimester",
    "status",
    "team",
    "teams",
    "upload",
}


def test_every_field_of_the_project_has_a_dutch_label():
    unlabelled = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if field.auto_created or not (field.concrete or field.many_to_many):
                continue
            if field.name not in DUTCH_ALREADY and str(field.verbose_name) == field.name.replace("_", " "):
                unlabelled.append(f"{model._meta.label}.{field.name}")
    assert unlabelled == []
