"""No lost updates on measures, evidence and Q-gesprekken (domain.md): pages, the API and two writers at once.

Two people open the same record; the first saves. The second saves from the older page (or with the
older ETag): a field only the second changed is written, a field only the first changed keeps the
newer value, and a field both changed is refused (409 on a page, 412 in the API) naming the newer
value, with nothing saved.
"""

import re
import threading
from datetime import date
from html import unescape

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import College, Indicator, Membership, Theme
from agenda.services import agenda_load
from maatregelen import services, versions
from maatregelen.models import Evidence, Measure, Review
from tests.agenda.admin_forms import form_data
from tests.api.conftest import agenda_spec

YEAR = 2021


def spec() -> dict:
    """Return the API tests' small agenda under codes of its own (used nowhere else in the test database)."""
    return agenda_spec("NLU", ["N100", "N200"])


def build_world() -> dict:
    """Load the agenda; add a director of N100 and two policy staff (with API tokens), a measure, evidence, reviews."""
    institution = agenda_load(data=spec()).institution
    college = College.objects.get(institution=institution, code="N100")
    theme = Theme.objects.get(institution=institution, code="T1")
    users = {}
    for name, role, colleges in [
        ("nlu_directeur", Role.DIRECTOR, [college]),
        ("nlu_beleid", Role.POLICY, []),
        ("nlu_beleid2", Role.POLICY, []),
    ]:
        user = get_user_model().objects.create_user(username=name, password="geheim-nlu-2021", first_name=name)
        Membership.objects.create(user=user, institution=institution, role=role, api_write=True).colleges.set(colleges)
        users[name] = user
    measure = services.measure_create(
        college=college, theme=theme, title="Coaching", category="programma", planned_budget_cents=100_000
    )
    evidence = services.evidence_create(
        college=college, theme=theme, year=YEAR, kind="verhaal", title="Een verhaal", text="Eerste versie."
    )
    review = services.review_create(college=college, year=YEAR, quadrimester=1, notes="Verslag")
    own = services.review_create(institution=institution, year=YEAR, quadrimester=1, notes="Instelling")
    return {
        "institution": institution,
        "college": college,
        "theme": theme,
        "users": users,
        "measure": measure,
        "evidence": evidence,
        "review": review,
        "institution_review": own,
    }


@pytest.fixture
def world(db) -> dict:
    """Return the world, built inside the test's transaction (rolled back after it)."""
    return build_world()


def browser(world, name) -> Client:
    """Return a client logged in as one of the world's users."""
    client = Client()
    client.force_login(world["users"][name])
    return client


def api(world, name) -> APIClient:
    """Return an API client logged in as one of the world's users."""
    client = APIClient()
    client.force_authenticate(world["users"][name])
    return client


def shown(response) -> dict:
    """Return what a browser posts back from a form page left as shown: every field, the hidden version too."""
    form = response.context["form"]
    data = {}
    for field in form:
        value = field.value()
        if field.widget_type == "checkbox":
            if value:
                data[field.name] = "on"
        else:
            data[field.name] = "" if value is None else value
    return data


def measure_url(world) -> str:
    return f"/maatregelen/college/N100/maatregel/{world['measure'].pk}/"


# --- the measure page ----------------------------------------------------------------------------


def test_the_edit_page_carries_the_version_it_shows(world):
    """The measure page has a hidden field with the version of the measure as stored."""
    html = browser(world, "nlu_directeur").get(measure_url(world)).content.decode()
    match = re.search(r'<input type="hidden" name="version" value="([^"]+)"', html)
    assert match and unescape(match.group(1)) == versions.token(world["measure"])


def test_a_stale_page_keeps_a_newer_budget_it_did_not_touch(world):
    """Policy raises the budget; the director, from the older page, changes only the owner: both changes stay."""
    url = measure_url(world)
    director, policy = browser(world, "nlu_directeur"), browser(world, "nlu_beleid")
    old, same = shown(director.get(url)), shown(policy.get(url))
    assert policy.post(url, {**same, "planned_budget_cents": "250.000"}).status_code == 302
    response = director.post(url, {**old, "owner": "Jan"}, follow=True)
    assert response.status_code == 200
    measure = Measure.objects.get(pk=world["measure"].pk)
    assert (measure.planned_budget_cents, measure.owner) == (25_000_000, "Jan")
    told = " ".join(str(m) for m in response.context["messages"])
    assert "Intussen door een ander gewijzigd en behouden: Gepland budget (€ 250.000,00)." in told


def test_a_stale_page_that_changes_the_same_field_is_refused_and_names_the_newer_value(world):
    """Both change the budget: the second save is 409, nothing saved, the newer budget named and shown."""
    url = measure_url(world)
    director, policy = browser(world, "nlu_directeur"), browser(world, "nlu_beleid")
    old, same = shown(director.get(url)), shown(policy.get(url))
    assert policy.post(url, {**same, "planned_budget_cents": "250.000"}).status_code == 302
    before = list(Measure.objects.filter(pk=world["measure"].pk).values())
    history = world["measure"].history.count()
    response = director.post(url, {**old, "planned_budget_cents": "5.000", "owner": "Jan"})
    assert response.status_code == 409
    assert list(Measure.objects.filter(pk=world["measure"].pk).values()) == before
    assert world["measure"].history.count() == history
    html = response.content.decode()
    assert "De maatregel is intussen gewijzigd door nlu_beleid; er is niets opgeslagen." in html
    assert "Gepland budget: nu € 250.000,00; uw waarde € 5.000,00 is niet opgeslagen." in html
    # The form shows the stored budget, keeps the director's other change and carries the new version.
    again = shown(response)
    assert (again["planned_budget_cents"], again["owner"]) == ("250.000,00", "Jan")
    assert again["version"] == versions.token(Measure.objects.get(pk=world["measure"].pk))
    # The director decides (here: their own budget after all) and saves the form as now shown.
    assert director.post(url, {**again, "planned_budget_cents": "5.000"}).status_code == 302
    measure = Measure.objects.get(pk=world["measure"].pk)
    assert (measure.planned_budget_cents, measure.owner) == (500_000, "Jan")


def test_a_post_without_the_hidden_version_is_compared_with_what_the_session_saw(world):
    """A client that drops the hidden field is still compared with the page its session last showed."""
    url = measure_url(world)
    theme = world["theme"]
    director, policy = browser(world, "nlu_directeur"), browser(world, "nlu_beleid")
    assert director.get(url).status_code == 200 and policy.get(url).status_code == 200
    base = {"title": "Coaching", "theme": theme.pk, "category": "programma", "status": "gepland"}
    assert policy.post(url, {**base, "planned_budget_cents": "250.000"}).status_code == 302
    assert director.post(url, {**base, "planned_budget_cents": "1.000", "owner": "Jan"}).status_code == 302
    assert director.post(url, {**base, "planned_budget_cents": "7.000", "owner": "Jan"}).status_code == 302
    assert Measure.objects.get(pk=world["measure"].pk).planned_budget_cents == 700_000
    assert policy.post(url, {**base, "planned_budget_cents": "9.000"}).status_code == 409


def test_a_fresh_page_saves_every_field(world):
    """Nothing changed since the page was shown: every change is saved, indicators too."""
    url = measure_url(world)
    director = browser(world, "nlu_directeur")
    data = shown(director.get(url))
    vsv = Indicator.objects.get(institution=world["institution"], code="vsv")
    data.update(title="Coaching 2.0", indicators=[vsv.pk], planned_budget_cents="12.345,67", public="on")
    assert director.post(url, data).status_code == 302
    measure = Measure.objects.get(pk=world["measure"].pk)
    assert (measure.title, measure.planned_budget_cents, measure.public) == ("Coaching 2.0", 1_234_567, True)
    assert list(measure.indicators.values_list("code", flat=True)) == ["vsv"]


def test_an_unreadable_version_refuses_every_change(world):
    """A forged or damaged version saw nothing: a change is refused (409), not written blindly."""
    url = measure_url(world)
    director = browser(world, "nlu_directeur")
    data = {**shown(director.get(url)), "version": "kapot", "owner": "Jan"}
    assert director.post(url, data).status_code == 409
    assert Measure.objects.get(pk=world["measure"].pk).owner == ""


# --- evidence and Q-gesprek pages ----------------------------------------------------------------


def test_a_stale_evidence_page_is_refused_when_both_change_the_text(world):
    """Two directors' pages of one story: the second text is 409 and names the first one's text."""
    url = f"/maatregelen/college/N100/merkbaar/{world['evidence'].pk}/"
    director, policy = browser(world, "nlu_directeur"), browser(world, "nlu_beleid")
    old, same = shown(director.get(url)), shown(policy.get(url))
    assert policy.post(url, {**same, "text": "Tweede versie."}).status_code == 302
    response = director.post(url, {**old, "text": "Derde versie."})
    assert response.status_code == 409
    assert "Tekst: nu ‘Tweede versie.’; uw waarde ‘Derde versie.’ is niet opgeslagen." in response.content.decode()
    assert Evidence.objects.get(pk=world["evidence"].pk).text == "Tweede versie."
    # A title only the director changed is written from the same older page.
    assert director.post(url, {**old, "title": "Ander verhaal"}).status_code == 302
    evidence = Evidence.objects.get(pk=world["evidence"].pk)
    assert (evidence.title, evidence.text) == ("Ander verhaal", "Tweede versie.")


def test_a_stale_review_page_is_refused_when_both_change_the_notes(world):
    """The college's Q-gesprek: a second set of notes from an older page is 409; the date alone is saved."""
    url = f"/maatregelen/college/N100/q-gesprek/{world['review'].pk}/"
    director, policy = browser(world, "nlu_directeur"), browser(world, "nlu_beleid")
    old, same = shown(director.get(url)), shown(policy.get(url))
    assert policy.post(url, {**same, "notes": "Verslag van beleid"}).status_code == 302
    response = director.post(url, {**old, "notes": "Verslag van de directeur"})
    assert response.status_code == 409
    assert "Verslag: nu ‘Verslag van beleid’" in response.content.decode()
    assert director.post(url, {**old, "held_on": "2021-03-04"}).status_code == 302
    review = Review.objects.get(pk=world["review"].pk)
    assert (review.notes, review.held_on) == ("Verslag van beleid", date(2021, 3, 4))


def test_a_stale_institution_review_page_is_refused(world):
    """The institution's own Q-gesprek (policy staff): the same refusal on its page."""
    url = f"/maatregelen/q-gesprekken/{world['institution_review'].pk}/"
    first, second = browser(world, "nlu_beleid"), browser(world, "nlu_beleid2")
    old, same = shown(first.get(url)), shown(second.get(url))
    assert second.post(url, {**same, "notes": "Nieuw"}).status_code == 302
    response = first.post(url, {**old, "notes": "Ook nieuw"})
    assert response.status_code == 409 and "Verslag: nu ‘Nieuw’" in response.content.decode()
    assert Review.objects.get(pk=world["institution_review"].pk).notes == "Nieuw"


# --- the API -------------------------------------------------------------------------------------


def test_the_api_gives_an_etag_and_refuses_a_stale_if_match_with_412(world):
    """GET gives the ETag; a PATCH with an older one is 412 in Dutch with the newer value, nothing saved."""
    url = f"/api/v1/measures/{world['measure'].pk}/"
    director, policy = api(world, "nlu_directeur"), api(world, "nlu_beleid")
    read = director.get(url)
    assert read.status_code == 200 and read["ETag"] == versions.etag(world["measure"])
    fresh = policy.patch(url, {"planned_budget_cents": 25_000_000}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert fresh.status_code == 200 and fresh["ETag"] != read["ETag"]
    stale = director.patch(
        url, {"planned_budget_cents": 500_000, "owner": "Jan"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert stale.status_code == 412
    body = stale.json()
    assert "Gepland budget: nu € 250.000,00; uw waarde € 5.000,00 is niet opgeslagen." in body["detail"]
    assert "stuur de nieuwe ETag mee als If-Match" in body["detail"]
    assert [f["field"] for f in body["fields"]] == ["planned_budget_cents", "owner"]
    assert body["current"]["planned_budget_cents"] == 25_000_000 and stale["ETag"] == fresh["ETag"]
    measure = Measure.objects.get(pk=world["measure"].pk)
    assert (measure.planned_budget_cents, measure.owner) == (25_000_000, "")
    # With the new ETag the same change goes through.
    again = director.patch(
        url, {"planned_budget_cents": 500_000, "owner": "Jan"}, format="json", HTTP_IF_MATCH=stale["ETag"]
    )
    assert again.status_code == 200 and again.json()["owner"] == "Jan"


def test_a_stale_if_match_that_asks_for_what_is_stored_is_no_conflict(world):
    """A PATCH with an older ETag that sets what is stored already loses nothing: 200."""
    url = f"/api/v1/measures/{world['measure'].pk}/"
    policy = api(world, "nlu_beleid")
    old = policy.get(url)["ETag"]
    assert policy.patch(url, {"owner": "Piet"}, format="json").status_code == 200
    assert policy.patch(url, {"owner": "Piet"}, format="json", HTTP_IF_MATCH=old).status_code == 200


def test_a_patch_without_if_match_still_writes_as_before(world):
    """Older clients send no If-Match: the fields they send are written, the ETag comes back."""
    url = f"/api/v1/measures/{world['measure'].pk}/"
    response = api(world, "nlu_directeur").patch(url, {"title": "Nieuwe titel"}, format="json")
    assert response.status_code == 200 and response["ETag"] == versions.etag(Measure.objects.get(title="Nieuwe titel"))


@pytest.mark.parametrize("kind", ["evidence", "reviews"])
def test_evidence_and_reviews_refuse_a_stale_if_match_too(world, kind):
    """Evidence and Q-gesprekken: ETag on GET, 412 on a stale PATCH or DELETE, 200/204 with the fresh one."""
    record = world["evidence"] if kind == "evidence" else world["review"]
    field = "text" if kind == "evidence" else "notes"
    url = f"/api/v1/{kind}/{record.pk}/"
    client = api(world, "nlu_beleid")
    old = client.get(url)["ETag"]
    assert client.patch(url, {field: "Eerst"}, format="json", HTTP_IF_MATCH=old).status_code == 200
    stale = client.patch(url, {field: "Daarna"}, format="json", HTTP_IF_MATCH=old)
    assert stale.status_code == 412 and "intussen gewijzigd" in stale.json()["detail"]
    assert client.delete(url, HTTP_IF_MATCH=old).status_code == 412
    assert type(record).objects.filter(pk=record.pk).exists()
    assert client.delete(url, HTTP_IF_MATCH=stale["ETag"]).status_code == 204


def test_a_patch_does_not_write_back_what_its_view_read_before_another_save(world):
    """The API fills the fields a PATCH leaves out from its own read: a save in between keeps its value."""
    measure = world["measure"]
    stale_copy = Measure.objects.get(pk=measure.pk)  # what the API view read
    services.measure_update(
        measure=measure, theme=measure.theme, title="Coaching", category="programma", planned_budget_cents=25_000_000
    )
    filled = {"planned_budget_cents": stale_copy.planned_budget_cents, "title": stale_copy.title}
    services.measure_update(
        measure=stale_copy,
        theme=stale_copy.theme,
        category="programma",
        owner="Jan",
        seen=versions.Read.of_request(filled, None),
        **filled,
    )
    measure.refresh_from_db()
    assert (measure.planned_budget_cents, measure.owner) == (25_000_000, "Jan")


# --- the admin (policy staff's fallback editor) ----------------------------------------------------


def test_a_stale_admin_change_form_is_refused_and_keeps_what_it_did_not_touch(world):
    """The admin compares as the pages do: a budget both changed is an error; an owner alone is saved."""
    url = f"/admin/maatregelen/measure/{world['measure'].pk}/change/"
    first, second = Client(), Client()
    for client, name in ((first, "nlu_admin1"), (second, "nlu_admin2")):
        client.force_login(get_user_model().objects.create_superuser(name, password="geheim-nlu-2021"))
    old, same = form_data(first, url), form_data(second, url)
    assert old["version"] == versions.token(world["measure"])
    assert second.post(url, {**same, "planned_budget_cents": "25000000"}).status_code == 302
    refused = first.post(url, {**old, "planned_budget_cents": "500000", "owner": "Jan"})
    assert refused.status_code == 200
    assert "Gepland budget: nu € 250.000,00; uw waarde € 5.000,00 is niet opgeslagen." in refused.content.decode()
    assert Measure.objects.get(pk=world["measure"].pk).owner == ""
    assert first.post(url, {**old, "owner": "Jan"}).status_code == 302
    measure = Measure.objects.get(pk=world["measure"].pk)
    assert (measure.planned_budget_cents, measure.owner) == (25_000_000, "Jan")


# --- two writers at the same moment --------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_stale_saves_at_the_same_moment_let_exactly_one_through(live_server):
    """Two browsers post the same older page at once with different budgets: one 302, one 409, no lost update."""
    world = build_world()
    url = f"{live_server.url}{measure_url(world)}"
    sessions, forms = [], []
    for name in ("nlu_directeur", "nlu_beleid"):
        login = Client()
        login.force_login(world["users"][name])
        session = requests.Session()
        session.cookies.set("sessionid", login.cookies["sessionid"].value)
        html = session.get(url, timeout=30).text
        fields = dict(re.findall(r'<input type="hidden" name="(csrfmiddlewaretoken|version)" value="([^"]*)"', html))
        sessions.append(session)
        forms.append({**{k: unescape(v) for k, v in fields.items()}})
    base = {"title": "Coaching", "theme": world["theme"].pk, "category": "programma", "status": "gepland"}
    budgets = ["2.000", "3.000"]
    barrier = threading.Barrier(2)
    answers = {}

    def save(i):
        try:
            barrier.wait(timeout=10)
            data = {**base, **forms[i], "planned_budget_cents": budgets[i]}
            answers[i] = sessions[i].post(url, data, allow_redirects=False, timeout=60).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert sorted(answers.values()) == [302, 409]
    winner = next(i for i, status in answers.items() if status == 302)
    stored = Measure.objects.get(pk=world["measure"].pk).planned_budget_cents
    assert stored == int(budgets[winner].replace(".", "")) * 100
