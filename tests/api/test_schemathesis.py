"""Schemathesis against /api/schema/ on the ROCvAF demo: every GET and the upload POST (with a bad file).

Requests go straight to the WSGI application, authenticated with a demo user's token. Checked:
no 5xx, and status code, content type, headers and body as the schema documents them.
Deterministic (derandomize) and small, so it runs in every `make test`: 20 examples per operation
under the `thorough` Hypothesis profile (CI), 5 under `quick`, the default (tests/conftest.py).
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kwaliteit.wsgi import application

pytestmark = [
    pytest.mark.django_db,
    # Runs with the schemathesis plugin only (quick runs may pass -p no:schemathesis).
    pytest.mark.skipif("not config.pluginmanager.has_plugin('schemathesis')", reason="schemathesis plugin disabled"),
]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
UPLOADS = "/api/v1/uploads/"


def under_test(ctx) -> bool:
    """Select the reads and the upload command; other writes are covered by test_permissions."""
    return ctx.operation.method.upper() == "GET" or (
        ctx.operation.method.upper() == "POST" and ctx.operation.path == UPLOADS
    )


@pytest.fixture
def token(rocvaf_demo) -> str:
    """Return the token of the demo's policy user (may read everything and upload)."""
    from django.contrib.auth import get_user_model

    return Token.objects.get_or_create(user=get_user_model().objects.get(username="beleid"))[0].key


@pytest.fixture
def one_connection():
    """Keep the test's database connection across WSGI requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Loaded from the application itself, as a client would (schema generation reads no rows).
# schemathesis.pytest.from_fixture would defer this, but it does not run under pytest 9.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(under_test)


@schema.parametrize()
@settings(
    max_examples=max(1, settings.default.max_examples // 15),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, token, one_connection):
    """No request makes the API fail, and every answer is one the schema documents."""
    response = case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
    if case.operation.path == UPLOADS:
        # Generated files are never valid benchmark files: nothing may be accepted.
        assert response.status_code != 201
