"""How a result's payload is stored: the exact text the recompute wrote, every digit, on both databases.

PostgreSQL keeps payloads as json text, not jsonb, written with COPY (issue 16, benchmarks.md 14):
the text read back is byte for byte exact_json's, key order included, so the digest a recompute
compares was taken of the stored bytes; numbers of 18 significant digits come back exact (psycopg2
would parse a json column itself, with floats: kern.fields.StoredJSONField selects it as text).
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from agenda.models import Indicator
from rapportage import services
from rapportage.choices import RunState, Version
from rapportage.engine import exact_json
from rapportage.models import BudgetResult, IndicatorResult

pytestmark = pytest.mark.django_db


def test_a_stored_payload_is_the_exact_text_its_digest_was_taken_of(rocvaf_demo):
    """Every STATUS and budget row reads back as the text exact_json writes of it, and its digest is of that text."""
    run = services.recompute_now(institution=rocvaf_demo, reason="test")
    assert run.state == RunState.DONE, run.error
    rows = IndicatorResult.objects.filter(institution=rocvaf_demo).values_list(
        "payload", Cast("payload", TextField()), "digest", "ambition_id"
    )
    assert len(rows) > 100
    for payload, text, digest, ambition_id in rows:
        assert text == exact_json.store_text(payload)
        assert services.result_digest(text, ambition_id) == digest
    budgets = BudgetResult.objects.filter(institution=rocvaf_demo).values_list(
        "payload", Cast("payload", TextField()), "digest"
    )
    assert budgets
    for payload, text, digest in budgets:
        assert text == exact_json.store_text(payload)
        assert services.result_digest(text) == digest


def test_a_payload_keeps_every_digit_and_its_key_order(rocvaf_demo):
    """Saved through the ORM (the admin's path), 18 significant digits and the keys' order come back as written.

    The keys are in an order jsonb would change (it sorts them by length, then by their bytes).
    """
    indicator = Indicator.objects.filter(institution=rocvaf_demo).first()
    value = Decimal("123456789012.345678")
    payload = {"basis": "institution", "zeta": value, "alpha": [0.1, 10**17 + 1], "b": "é"}
    IndicatorResult.objects.filter(indicator=indicator, year=2030).delete()
    stored = IndicatorResult.objects.create(
        institution=rocvaf_demo,
        indicator=indicator,
        year=2030,
        version=Version.CURRENT,
        basis="institution",
        payload=payload,
        computed_at=timezone.now(),
    )
    read = IndicatorResult.objects.get(pk=stored.pk).payload
    assert read == payload
    assert read["zeta"] == value and isinstance(read["zeta"], Decimal)
    assert list(read) == ["basis", "zeta", "alpha", "b"]
    IndicatorResult.objects.filter(pk=stored.pk).update(payload={**payload, "a": 1})
    assert list(IndicatorResult.objects.get(pk=stored.pk).payload) == ["basis", "zeta", "alpha", "b", "a"]
    if connection.vendor == "postgresql":
        text = IndicatorResult.objects.filter(pk=stored.pk).values_list(Cast("payload", TextField()), flat=True).get()
        assert text == exact_json.store_text({**payload, "a": 1})


@pytest.mark.postgres
def test_postgresql_keeps_payloads_as_json_compressed_with_lz4():
    """The columns are json (no parse into jsonb on the way in or out) and lz4-compressed (migration 0010)."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, format_type(atttypid, atttypmod), attcompression FROM pg_attribute "
            "WHERE attname = 'payload' AND attrelid IN "
            "('rapportage_indicatorresult'::regclass, 'rapportage_budgetresult'::regclass) ORDER BY 1"
        )
        assert cursor.fetchall() == [
            ("rapportage_budgetresult", "json", "l"),
            ("rapportage_indicatorresult", "json", "l"),
        ]
