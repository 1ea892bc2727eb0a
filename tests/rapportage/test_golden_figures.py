"""Every chart of the board pages is byte for byte the one plotly's graph_objs drew (issue 16).

rapportage/charts.py builds the figures as plain dictionaries since issue 16; golden_figures/ holds
the JSON the code before that (commit 5660715) served on the ROCvAF demo, as a digest per figure
of every indicator page in every year and of the budget page, and in full for a few pages. Made by
tests/rapportage/make_golden_figures.py; regenerate only when a chart is meant to change.
"""

import json

import pytest
from django.contrib.auth import get_user_model

from tests.rapportage.make_golden_figures import FULL, GOLDEN, canonical, digest, page_figures, pages


def _first_difference(old, new, path="") -> str:
    """Return the JSON path and both values where `old` and `new` first differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new or canonical(old[key]) != canonical(new[key]):
                return _first_difference(old.get(key), new.get(key), f"{path}.{key}")
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if canonical(a) != canonical(b):
                return _first_difference(a, b, f"{path}[{index}]")
    return f"{path}: {canonical(old)[:200]} != {canonical(new)[:200]}"


@pytest.mark.django_db
def test_every_figure_of_the_demo_equals_the_golden_figure(client, rocvaf_demo):
    """Each indicator page in each year and the budget page embed exactly the golden figures' JSON."""
    golden = json.loads((GOLDEN / "digests.json").read_text(encoding="utf-8"))
    client.force_login(get_user_model().objects.get(username="bestuur"))
    served, differences = {}, []
    for key, address in pages(rocvaf_demo):
        response = client.get(address)
        assert response.status_code == 200, key
        figures = page_figures(response.content.decode("utf-8"))
        if not figures:
            continue
        served[key] = {name: digest(figure) for name, figure in sorted(figures.items())}
        if served[key] != golden.get(key):
            detail = ""
            full = GOLDEN / (key.replace("/", "_") + ".json")
            if full.exists():
                detail = _first_difference(json.loads(full.read_text(encoding="utf-8")), figures)
            differences.append(f"{key} {detail}")
    assert not differences, differences[:5]
    assert served.keys() == golden.keys()
    assert set(FULL) <= served.keys()


def test_the_full_golden_figures_match_their_digests():
    """The figures kept in full are the ones whose digests the test compares (the files belong together)."""
    golden = json.loads((GOLDEN / "digests.json").read_text(encoding="utf-8"))
    for key in FULL:
        figures = json.loads((GOLDEN / (key.replace("/", "_") + ".json")).read_text(encoding="utf-8"))
        assert {name: digest(figure) for name, figure in sorted(figures.items())} == golden[key]
