"""The OpenAPI document and the self-hosted docs page: every endpoint, every response code it can give."""

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker) -> dict:
    """Return the schema as served at /api/schema/ (anonymous, like a code generator)."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_with_token_and_session_auth(openapi):
    """OpenAPI 3 with both ways to authenticate declared."""
    assert openapi["openapi"].startswith("3.")
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["in"] == "header" and schemes["tokenAuth"]["name"] == "Authorization"
    assert schemes["cookieAuth"]["in"] == "cookie"


@pytest.mark.parametrize(
    "path, method, codes",
    [
        ("/api/v1/status/", "get", {"200", "304", "400", "401", "403", "404"}),
        ("/api/v1/indicators/{code}/status/", "get", {"200", "304", "400", "401", "403", "404"}),
        ("/api/v1/budget/", "get", {"200", "304", "400", "401", "403", "404"}),
        ("/api/v1/uploads/", "post", {"201", "400", "401", "403", "409", "503"}),
        ("/api/v1/uploads/{id}/", "get", {"200", "400", "401", "403", "404"}),
        ("/api/v1/measurements/", "get", {"200", "400", "401", "403", "404"}),
        ("/api/v1/measurements/", "post", {"200", "201", "400", "401", "403", "409", "412"}),
        ("/api/v1/measurements/{id}/", "patch", {"200", "400", "401", "403", "404", "409", "412"}),
        ("/api/v1/measures/{id}/", "patch", {"200", "400", "401", "403", "404", "412"}),
        ("/api/v1/evidence/{id}/", "delete", {"204", "400", "401", "403", "404", "412"}),
        ("/api/v1/colleges/", "get", {"200", "400", "401", "403", "404"}),
        ("/api/v1/indicators/{code}/", "get", {"200", "400", "401", "403", "404"}),
    ],
)
def test_every_response_code_is_documented(openapi, path, method, codes):
    """Each operation lists exactly the codes the API can give."""
    assert set(openapi["paths"][path][method]["responses"]) == codes


def test_result_bodies_are_described(openapi):
    """STATUS, the budget and the upload bodies are schemas with the contract's field names."""
    schemas = openapi["components"]["schemas"]
    status = schemas["Status"]["properties"]
    for field in (
        "indicator",
        "ambition_year",
        "institution_met",
        "colleges_met",
        "colleges_total",
        "basis",
        "colleges",
    ):
        assert field in status
    # stale and recompute_failed_at: whether a failed recompute left the results stale (issue 11 part 7).
    assert set(schemas["StatusList"]["properties"]) == {
        "institution",
        "year",
        "data_status",
        "stale",
        "recompute_failed_at",
        "indicators",
    }
    assert {"theme", "share_pct", "amount_cents", "central_cents", "colleges"} <= set(
        schemas["BudgetTheme"]["properties"]
    )
    assert {"id", "status", "rows", "recompute"} <= set(schemas["Upload"]["properties"])
    assert set(schemas["UploadError"]["properties"]) >= {"row", "column", "value", "message"}
    status_200 = openapi["paths"]["/api/v1/status/"]["get"]["responses"]["200"]
    assert set(status_200["content"]) == {"application/json", "text/csv"}
    assert set(status_200["headers"]) == {"ETag", "Last-Modified"}


def test_docs_page_uses_the_self_hosted_swagger_ui(openapi):
    """/api/docs/ serves Swagger UI from the project's static files, not a CDN."""
    page = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn." not in page
