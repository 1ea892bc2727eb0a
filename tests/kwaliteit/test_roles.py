"""Roles on every write path of the college pages (issue 5): 403 and nothing changes, or the write happens.

bestuur reads only; a directeur writes only their own college; beleid writes everywhere
(agenda/permissions.py). The table runs every (role, write path, target college).
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from agenda.models import College, Team, Theme
from indicatoren.models import Measurement, Upload
from invoer.grid import grid_build, grid_workbook
from maatregelen.models import Evidence, Measure, MeasureCategory, MeasureStatus, Review

YEAR = 2022
NEW_VALUE = "5,55"  # a 1a score no demo cell holds


def snapshot() -> tuple:
    """Return everything the college pages can write, to compare before and after a request."""
    return (
        list(Measurement.objects.order_by("pk").values_list("pk", "value", "n", "updated_at")),
        list(Team.objects.order_by("pk").values_list("pk", "code", "name", "active_from", "active_until")),
        list(Measure.objects.order_by("pk").values_list("pk", "title", "theme_id", "planned_budget_cents", "status")),
        list(Evidence.objects.order_by("pk").values_list("pk", "title", "text")),
        list(Review.objects.order_by("pk").values_list("pk", "year", "quadrimester", "notes")),
        Upload.objects.count(),
    )


def _first_1a_cell(college: College):
    """Return the first cell of indicator 1a in the college's 2022 grid and the grid."""
    grid = grid_build(college, YEAR)
    return grid, next(cell for cell in grid.cells() if cell.indicator.code == "1a")


def grid_save(client, college, ctx):
    """Post the college's grid with one 1a value changed, as its own page would."""
    grid, target = _first_1a_cell(college)
    fields = {}
    for cell in grid.cells():
        fields.update(
            {f"v_{cell.key}": cell.value_input, f"n_{cell.key}": cell.n_input, f"o_{cell.key}": cell.original}
        )
    fields[f"v_{target.key}"] = NEW_VALUE
    return client.post(f"/invoer/college/{college.code}/?jaar={YEAR}", fields)


def grid_upload(client, college, ctx):
    """Upload the college's export with one 1a value changed."""
    workbook = openpyxl.load_workbook(io.BytesIO(grid_workbook(college, [YEAR])))
    sheet = workbook[str(YEAR)]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("1a") + 1, value=5.55)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = f"resultaten-{college.code}.xlsx"
    return client.post(f"/invoer/college/{college.code}/upload/", {"file": buffer})


def team_add(client, college, ctx):
    """Add a team through the team page."""
    return client.post(f"/teams/college/{college.code}/", {"code": f"{college.code}-NIEUW", "name": "Nieuw team"})


def _first_team(college) -> Team:
    """Return the college's first team."""
    return Team.objects.filter(college=college).order_by("code").first()


def team_rename(client, college, ctx):
    """Rename the college's first team."""
    team = _first_team(college)
    return client.post(f"/teams/college/{college.code}/{team.code}/", {"name": "Andere naam", "active_until": ""})


def team_deactivate(client, college, ctx):
    """Make the college's first team inactive after 2020."""
    team = _first_team(college)
    return client.post(f"/teams/college/{college.code}/{team.code}/", {"name": team.name, "active_until": "2020"})


def make_empty_team(college) -> dict:
    """Create a team without data (the only kind that can be deleted)."""
    team = Team.objects.create(
        institution=college.institution, college=college, code=f"{college.code}-LEEG", name="Leeg"
    )
    return {"team": team}


def team_delete(client, college, ctx):
    """Delete the team without data."""
    return client.post(f"/teams/college/{college.code}/{ctx['team'].code}/verwijderen/")


def _measure_fields(college) -> dict:
    """Return a valid posted measure form."""
    theme = Theme.objects.get(institution=college.institution, code="T2")
    return {
        "title": "Mentoraat in de avond",
        "description": "Extra begeleiding",
        "theme": theme.pk,
        "category": MeasureCategory.SUPPORT,
        "planned_budget_cents": "12.500",
        "status": MeasureStatus.RUNNING,
        "owner": "Teamleider",
    }


def measure_add(client, college, ctx):
    """Add a measure of the college."""
    return client.post(f"/maatregelen/college/{college.code}/maatregel/nieuw/", _measure_fields(college))


def make_measure(college) -> dict:
    """Create a measure of the college directly."""
    theme = Theme.objects.get(institution=college.institution, code="T3")
    measure = Measure.objects.create(
        institution=college.institution, college=college, theme=theme, title="Bestaand", category="programma"
    )
    return {"measure": measure}


def measure_edit(client, college, ctx):
    """Change the measure of the college."""
    url = f"/maatregelen/college/{college.code}/maatregel/{ctx['measure'].pk}/"
    return client.post(url, _measure_fields(college))


def evidence_add(client, college, ctx):
    """Record a story of the college."""
    theme = Theme.objects.get(institution=college.institution, code="T2")
    return client.post(
        f"/maatregelen/college/{college.code}/merkbaar/nieuw/",
        {"kind": "verhaal", "theme": theme.pk, "team": "", "year": YEAR, "title": "Een verhaal", "text": "Tekst"},
    )


def review_add(client, college, ctx):
    """Record a Q-review of the college."""
    return client.post(
        f"/maatregelen/college/{college.code}/q-gesprek/nieuw/",
        {"year": 2021, "quadrimester": 1, "held_on": "2021-03-01", "notes": "Verslag", "actions": "Afspraak"},
    )


def make_review(college) -> dict:
    """Create a Q-review of the college directly."""
    return {"review": Review.objects.create(college=college, year=2021, quadrimester=3, notes="Oud")}


def review_edit(client, college, ctx):
    """Change the Q-review of the college."""
    return client.post(
        f"/maatregelen/college/{college.code}/q-gesprek/{ctx['review'].pk}/",
        {"year": 2021, "quadrimester": 3, "held_on": "", "notes": "Nieuw verslag", "actions": ""},
    )


@dataclass(frozen=True)
class WritePath:
    """One write a page offers: how to prepare it and how to send it."""

    name: str
    send: Callable
    setup: Callable | None = None


WRITES = [
    WritePath("grid save", grid_save),
    WritePath("grid upload", grid_upload),
    WritePath("team add", team_add),
    WritePath("team rename", team_rename),
    WritePath("team deactivate", team_deactivate),
    WritePath("team delete", team_delete, make_empty_team),
    WritePath("measure add", measure_add),
    WritePath("measure edit", measure_edit, make_measure),
    WritePath("evidence add", evidence_add),
    WritePath("review add", review_add),
    WritePath("review edit", review_edit, make_review),
]

# (role, target college, may write)
ROLES = [
    ("directeur5100", "5100", True),
    ("directeur5100", "5200", False),
    ("bestuur", "5100", False),
    ("bestuur", "5200", False),
    ("beleid", "5100", True),
    ("beleid", "5200", True),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep uploaded files in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
@pytest.mark.parametrize(("role", "target", "allowed"), ROLES, ids=lambda v: str(v))
def test_every_write_path_obeys_the_role(client, rocvaf_demo, db, role, target, allowed, write):
    """Writers get a redirect and a change; everyone else gets 403 and every stored row stays as it was."""
    college = College.objects.get(code=target)
    ctx = write.setup(college) if write.setup else {}
    client.force_login(get_user_model().objects.get(username=role))
    before = snapshot()
    response = write.send(client, college, ctx)
    after = snapshot()
    if allowed:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert after != before
    else:
        assert response.status_code == 403
        assert after == before


FORM_PAGES = [
    ("/invoer/college/{code}/upload/", None),
    ("/teams/college/{code}/{team}/", None),
    ("/teams/college/{code}/{team}/verwijderen/", None),
    ("/maatregelen/college/{code}/maatregel/nieuw/", None),
    ("/maatregelen/college/{code}/maatregel/{measure}/", make_measure),
    ("/maatregelen/college/{code}/merkbaar/nieuw/", None),
    ("/maatregelen/college/{code}/q-gesprek/nieuw/", None),
    ("/maatregelen/college/{code}/q-gesprek/{review}/", make_review),
]


@pytest.mark.parametrize(("url", "setup"), FORM_PAGES, ids=[u for u, _ in FORM_PAGES])
@pytest.mark.parametrize(("role", "target", "allowed"), ROLES, ids=lambda v: str(v))
def test_write_forms_are_only_shown_to_writers(client, rocvaf_demo, db, role, target, allowed, url, setup):
    """The pages that only hold a write form answer 403 to readers."""
    college = College.objects.get(code=target)
    ctx = setup(college) if setup else {}
    client.force_login(get_user_model().objects.get(username=role))
    path = url.format(
        code=college.code,
        team=_first_team(college).code,
        measure=getattr(ctx.get("measure"), "pk", ""),
        review=getattr(ctx.get("review"), "pk", ""),
    )
    assert client.get(path).status_code == (200 if allowed else 403)


@pytest.mark.parametrize("role", ["bestuur", "directeur5100", "beleid"])
@pytest.mark.parametrize(
    "url",
    ["/invoer/college/5200/", "/invoer/college/5200/export.xlsx", "/teams/college/5200/", "/maatregelen/college/5200/"],
)
def test_every_role_reads_every_college(client, rocvaf_demo, db, role, url):
    """Reading is open to every role of the institution, writing is not (see above)."""
    client.force_login(get_user_model().objects.get(username=role))
    assert client.get(url).status_code == 200


def test_a_record_of_another_college_is_not_found_under_the_own_college(client, rocvaf_demo, db):
    """directeur5100 cannot reach a 5200 measure, review or team through a 5100 address: 404, nothing changes."""
    other = College.objects.get(code="5200")
    measure, review, team = make_measure(other)["measure"], make_review(other)["review"], _first_team(other)
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    before = snapshot()
    own = College.objects.get(code="5100")
    assert client.post(f"/maatregelen/college/5100/maatregel/{measure.pk}/", _measure_fields(own)).status_code == 404
    assert client.post(f"/maatregelen/college/5100/q-gesprek/{review.pk}/", {"year": 2021}).status_code == 404
    assert client.post(f"/teams/college/5100/{team.code}/", {"name": "x"}).status_code == 404
    assert client.post(f"/teams/college/5100/{team.code}/verwijderen/").status_code == 404
    assert snapshot() == before


def test_a_director_cannot_pick_another_colleges_team_for_evidence(client, rocvaf_demo, db):
    """The team list of the evidence form holds only the own college's teams: a 5200 team is refused."""
    other_team = _first_team(College.objects.get(code="5200"))
    theme = Theme.objects.get(code="T2")
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    before = snapshot()
    response = client.post(
        "/maatregelen/college/5100/merkbaar/nieuw/",
        {"kind": "verhaal", "theme": theme.pk, "team": other_team.pk, "year": YEAR, "title": "x", "text": "y"},
    )
    assert response.status_code == 400 and "team" in response.context["form"].errors
    assert snapshot() == before
