"""The speed-up of issue 16 changes no verdict or cent: every stored result is byte-identical to the old code's.

The golden files (tests/golden/results_*.json) hold a sha256 per stored result, made by
tests/golden/make_results_golden.py with the code before the speed-up (commit 5660715): each
indicator's STATUS per year and ambition version, each year's budget split, and the change log of
*Wat is er veranderd*, all read through the readers the pages and the API use. These tests build
the same data, recompute through the public path (a batched sector recompute where rapportage.services
has one) and compare every digest, naming the first results that differ.
"""

import json

import pytest

from agenda.models import Institution
from bench.engine_data import sector
from bench.engine_db import store
from tests.golden.make_results_golden import (
    GOLDEN,
    SECTOR_INSTITUTIONS,
    differences,
    golden_document,
    recompute_all,
    result_digests,
)


def assert_identical(name: str, digests: dict[str, str]) -> None:
    """Fail, naming the first differing results, unless `digests` are those of golden file `name`."""
    golden = json.loads((GOLDEN / f"results_{name}.json").read_text())
    lines = differences(golden["results"], digests)
    assert not lines, f"Resultaten wijken af van {golden['source']}:\n" + "\n".join(lines)
    assert golden_document(digests, source="")["total"] == golden["total"]


def test_demo_results_identical(rocvaf_demo):
    """The demo's stored results, before and after another recompute, are those of the code before issue 16."""
    assert_identical("demo", result_digests([rocvaf_demo]))
    recompute_all([rocvaf_demo], reason="test: resultaten ongewijzigd")
    assert_identical("demo", result_digests([rocvaf_demo]))


# A million measurement rows and 65 recomputes: about 2 minutes of CPU on SQLite, so marked slow,
# but in the default suite (make quick, make test): the sector is where the speed-up of issue 16 lives.
@pytest.mark.slow
@pytest.mark.django_db
def test_sector_results_identical():
    """The 65 synthetic institutions, stored and recomputed, get the results of the code before issue 16."""
    store(sector(SECTOR_INSTITUTIONS))
    institutions = list(Institution.objects.order_by("id"))
    assert len(institutions) == SECTOR_INSTITUTIONS
    recompute_all(institutions, reason="test: resultaten ongewijzigd")
    assert_identical("sector", result_digests(institutions))


def test_a_changed_result_is_named():
    """A digest that differs, is missing or is new is named, so a failure says which result moved."""
    golden = {"I001/1a/2020/current": "a", "I001/budget/2020": "b", "I002/1a/2020/current": "c"}
    actual = {"I001/1a/2020/current": "a", "I001/budget/2020": "x", "I003/1a/2020/current": "c"}
    assert differences(golden, actual) == [
        "anders: 1, eerst: I001/budget/2020",
        "ontbreekt: 1, eerst: I002/1a/2020/current",
        "nieuw: 1, eerst: I003/1a/2020/current",
    ]
    assert differences(golden, dict(golden)) == []
