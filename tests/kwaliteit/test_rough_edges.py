"""Rough edges (issue 15, item 7): Dutch error pages, no links to refused actions, no raw database
text, "u" in the API, n kept by an API POST without n, the header, and a year select that waits."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from agenda.choices import Level
from agenda.models import College, Institution, Team
from agenda.services import team_create
from indicatoren.models import Measurement
from kwaliteit import views

pytestmark = pytest.mark.django_db


def login(client, username: str):
    """Return the client logged in as a demo user."""
    client.force_login(get_user_model().objects.get(username=username))
    return client


# Error pages ---------------------------------------------------------------------------------


def test_an_unknown_page_is_a_dutch_404_inside_the_layout(client, rocvaf_demo):
    """A missing page says so in Dutch, with the site's header and a way back, not Django's English page."""
    response = login(client, "bestuur").get("/bestaat-niet/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Pagina niet gevonden" in html and 'class="site-header"' in html and 'href="/"' in html
    assert "Not Found" not in html and "The requested resource" not in html


def test_a_refused_page_is_a_dutch_403_with_its_reason(client, rocvaf_demo):
    """A board member opening a director's upload page gets the Dutch refusal inside the layout."""
    response = login(client, "bestuur").get("/invoer/college/5100/upload/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Geen toegang" in html and "Geen schrijfrechten voor de resultaten van college 5100." in html
    assert 'class="site-header"' in html and "Forbidden" not in html


def test_the_500_page_renders_without_a_request_context_or_the_database(django_assert_num_queries):
    """The server error page is Dutch, in the layout, and needs no context processor or query."""
    with django_assert_num_queries(0):
        response = views.server_error(RequestFactory().get("/dashboard/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Er ging iets mis" in html and 'class="site-header"' in html
    assert "Server Error" not in html


def test_the_project_routes_errors_to_its_own_handlers():
    """The URL map names the Dutch handlers for 403, 404 and 500."""
    from kwaliteit import urls

    assert (urls.handler403, urls.handler404, urls.handler500) == (
        "kwaliteit.views.permission_denied",
        "kwaliteit.views.page_not_found",
        "kwaliteit.views.server_error",
    )


def test_api_errors_outside_its_views_stay_json_in_dutch(client, rocvaf_demo):
    """An unknown API address is JSON in Dutch, not an HTML page; a server error there too."""
    response = login(client, "bestuur").get("/api/v1/bestaat-niet/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Niet gevonden."}
    error = views.server_error(RequestFactory().get("/api/v1/status/"))
    assert error.status_code == 500 and "Er ging iets mis" in json.loads(error.content)["detail"]


# No links to refused actions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "college", "offered"),
    [("directeur5100", "5100", True), ("directeur5100", "5200", False), ("bestuur", "5100", False)],
)
def test_the_college_nav_offers_excel_upload_only_where_the_user_may_write(
    client, rocvaf_demo, username, college, offered
):
    """The sub-nav links to the upload page only on colleges the user writes; readers see plain "Resultaten"."""
    html = login(client, username).get(f"/teams/college/{college}/").content.decode()
    nav = html[html.index('class="college-nav') : html.index("</nav>", html.index('class="college-nav'))]
    assert (f'href="/invoer/college/{college}/upload/"' in nav) is offered
    assert ("Resultaten invoeren" in nav) is offered


# Raw database text never reaches the user ------------------------------------------------------


def test_a_team_ending_before_it_began_is_refused_beside_the_field(client, rocvaf_demo):
    """An end year before the start year gets a Dutch message on "Actief tot en met", no constraint name."""
    college = College.objects.get(code="5100")
    team = team_create(college=college, code="5100-NIEUW", name="Nieuw team", active_from=2021)
    response = login(client, "directeur5100").post(
        f"/teams/college/5100/{team.code}/", {"name": "Nieuw team", "active_until": "2020"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert response.context["form"].errors["active_until"] == [
        "Het laatste actieve jaar ligt vóór het jaar waarin het team begon."
    ]
    assert "team_active_range" not in html and "Beperking" not in html and "geschonden" not in html


def test_a_team_code_in_use_is_refused_beside_the_code_field(client, rocvaf_demo):
    """A taken code is refused on the code field in Dutch, without "Institution en Code"."""
    taken = Team.objects.filter(college__code="5200").first().code
    response = login(client, "directeur5100").post("/teams/college/5100/", {"code": taken, "name": "Dubbel"})
    html = response.content.decode()
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        "Deze teamcode is al in gebruik binnen de instelling (hoofdletters tellen niet mee); kies een andere."
    ]
    assert "Institution" not in html and "bestaat al" not in html


def test_model_validation_puts_constraint_messages_on_their_field(rocvaf_demo):
    """The admin's forms get the same field errors: a taken college code is an error of "code"."""
    institution = Institution.objects.get(code=College.objects.get(code="5100").institution.code)
    with pytest.raises(Exception) as caught:
        College(institution=institution, code="5100", name="Dubbel").full_clean()
    assert caught.value.message_dict == {
        "code": [
            "Deze collegecode is al in gebruik binnen de instelling (hoofdletters tellen niet mee); kies een andere."
        ]
    }


# "u" in the API -------------------------------------------------------------------------------


def test_the_api_addresses_a_read_only_user_with_u(client, rocvaf_demo):
    """A board member's write through the API is refused with "Uw rol", not "Je rol"."""
    response = login(client, "bestuur").post(
        "/api/v1/measurements/", {"indicator": "1a", "year": 2021, "value": "5"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Uw rol mag via de API alleen lezen."


def test_no_dutch_message_in_the_code_says_je_jij_or_jouw():
    """Every Dutch string of the apps and templates addresses the user with "u" (the site's voice)."""
    import re

    informal = re.compile(r"""["'>][^"'<>]*\b(je|jij|jouw)\b[^"'<>]*["'<]""", re.IGNORECASE)
    root = Path(settings.BASE_DIR)
    found = []
    for app in ["agenda", "indicatoren", "invoer", "kern", "kwaliteit", "maatregelen", "rapportage", "templates"]:
        for path in (root / app).rglob("*"):
            if path.suffix in {".py", ".html"} and "migrations" not in path.parts:
                found += [f"{path.relative_to(root)}: {m.group(0)}" for m in informal.finditer(path.read_text())]
    assert found == []


# An API POST without n keeps the stored n -----------------------------------------------------


def _team_value_with_n() -> Measurement:
    """Return a 5100 team value of a year the director may write, with a stored n."""
    return (
        Measurement.objects.filter(college__code="5100", level=Level.TEAM, n__isnull=False, year__gte=2019)
        .select_related("indicator", "team")
        .order_by("-year", "id")
        .first()
    )


def _post_value(client, row: Measurement, **extra):
    """POST a new value for the row's cell as directeur5100."""
    payload = {"indicator": row.indicator.code, "year": row.year, "team": row.team.code, "value": str(row.value)}
    payload["value"] = str(row.value + 1 if row.value < 50 else row.value - 1)
    payload.update(extra)
    return login(client, "directeur5100").post("/api/v1/measurements/", payload, content_type="application/json")


def test_an_api_post_without_n_keeps_the_stored_n(client, rocvaf_demo):
    """POST with a value and no n changes the value and keeps n, as PATCH does."""
    row = _team_value_with_n()
    n = row.n
    response = _post_value(client, row)
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert row.n == n and response.json()["n"] == n


def test_an_api_post_with_n_null_clears_it(client, rocvaf_demo):
    """An explicit "n": null still clears the stored n."""
    row = _team_value_with_n()
    response = _post_value(client, row, n=None)
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert row.n is None


# Header and year select -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "label"),
    [("bestuur", '<span class="user-role">bestuur (lezen)</span>'), ("directeur5100", "directeur5100</span> · ")],
)
def test_the_header_shows_name_and_role_once(client, rocvaf_demo, username, label):
    """The header no longer reads "bestuur (bestuur (lezen))": the name and the role label, each once."""
    html = login(client, username).get("/dashboard/").content.decode()
    header = html[html.index('class="user-menu"') : html.index("</header>")]
    assert label in header
    assert "(bestuur (lezen))" not in header and header.count("bestuur") <= 1


def test_the_year_select_waits_for_the_toon_button(client, rocvaf_demo):
    """Choosing a year changes nothing until "Toon" (WCAG 3.2.2): a visible button, no autosubmit anywhere."""
    html = login(client, "bestuur").get("/dashboard/").content.decode()
    form = html[html.index('aria-label="Jaar kiezen"') : html.index("</form>", html.index('aria-label="Jaar kiezen"'))]
    assert '<button type="submit">Toon</button>' in form
    assert "noscript" not in form and "autosubmit" not in form
    script = (Path(settings.BASE_DIR) / "static" / "js" / "app.js").read_text()
    assert "autosubmit" not in script and ".submit()" not in script


# In Chromium ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_year_changes_only_when_toon_is_pressed(rocvaf_demo_tx, live_server, login, page, screenshot):
    """Choosing 2020 in the year select leaves the page; pressing "Toon" loads 2020, one navigation in all."""
    login("bestuur")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    page.get_by_label("Jaar", exact=True).select_option("2020")
    assert page.get_by_role("heading", name="Stand van de ambities in 2022").is_visible()
    page.get_by_role("button", name="Toon").click()
    page.wait_for_url("**/dashboard/?jaar=2020")
    assert page.get_by_role("heading", name="Stand van de ambities in 2020").is_visible()
    assert len(navigations) == 1
    screenshot("rough-edges-year-toon")


@pytest.mark.browser
def test_error_pages_are_dutch_inside_the_layout_in_the_browser(rocvaf_demo_tx, live_server, login, page, screenshot):
    """A board member sees Dutch 404 and 403 pages with the site's header and menu, not Django's English ones."""
    login("bestuur")
    response = page.goto(f"{live_server.url}/bestaat-niet/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Pagina niet gevonden").is_visible()
    assert page.get_by_role("navigation", name="Hoofdmenu").is_visible()
    screenshot("rough-edges-404")
    response = page.goto(f"{live_server.url}/invoer/college/5100/upload/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Geen toegang").is_visible()
    assert page.get_by_text("Geen schrijfrechten voor de resultaten van college 5100.").is_visible()
    screenshot("rough-edges-403")
