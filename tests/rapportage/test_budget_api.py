"""The budget body in the API and its schema: every field the engine stores is documented (contracts.md 4, 5)."""

import json

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def resolve(schema: dict, openapi: dict) -> dict:
    """Return `schema` with a top-level $ref (or allOf of one $ref) followed."""
    if "allOf" in schema and len(schema["allOf"]) == 1:
        schema = schema["allOf"][0]
    if "$ref" in schema:
        return openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def undocumented(value, schema: dict, openapi: dict, path: str = "") -> list[str]:
    """Return the paths of every key in `value` that the schema does not describe."""
    schema = resolve(schema, openapi)
    missing = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key not in properties:
                missing.append(f"{path}.{key}")
            else:
                missing += undocumented(item, properties[key], openapi, f"{path}.{key}")
    elif isinstance(value, list) and value and "items" in schema:
        missing += undocumented(value[0], schema["items"], openapi, f"{path}[]")
    return missing


def test_every_budget_field_including_the_reserve_ledger_is_in_the_schema(rocvaf_demo):
    """The stored 2022 budget, reserve ledger and all, has no field the OpenAPI schema leaves out."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="bestuur"))
    body = json.loads(client.get("/api/v1/budget/?year=2022").content)
    assert body["not_realised_cents"] == body["reserve_open_cents"]
    openapi = yaml.safe_load(Client().get("/api/schema/").content)
    budget = openapi["components"]["schemas"]["Budget"]
    assert undocumented(body, budget, openapi) == []
    college = openapi["components"]["schemas"]["BudgetCollege"]["properties"]
    for name in ("released_from_reserve_cents", "reserve_open_cents", "reserve_releases", "not_realised"):
        assert college[name].get("description"), name
    assert college["not_realised_cents"]["nullable"] is True
