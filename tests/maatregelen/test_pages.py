"""Measures, noticeable evidence and Q-reviews of the own college (issue 5): pages, services, escaping."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from agenda.models import College, Indicator, Team, Theme
from maatregelen import services
from maatregelen.forms import cents_to_euros, euros_to_cents
from maatregelen.models import Evidence, Measure, Review

PAGE = "/maatregelen/college/{code}/"


@pytest.fixture
def director(client, rocvaf_demo, db):
    """Return a client logged in as the director of 5100."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("45000", 4_500_000),
        ("45.000", 4_500_000),
        ("45.000,50", 4_500_050),
        ("45000,5", 4_500_050),
        ("€ 1.234.567,89", 123_456_789),
        ("45000.50", 4_500_050),
        ("1.500", 150_000),
        ("0", 0),
        ("", 0),
    ],
)
def test_euros_are_read_in_dutch_notation_and_stored_as_cents(text, cents):
    """Thousands with dots, cents after a comma; a point with one or two decimals is read as cents too."""
    assert euros_to_cents(text) == cents


@pytest.mark.parametrize("text", ["-5", "12,345", "1,500.00", "abc", "4.5.6"])
def test_unreadable_or_negative_amounts_are_refused(text):
    """A negative amount, three decimals or mixed notation is an error, never a guess."""
    with pytest.raises(ValidationError):
        euros_to_cents(text)


def test_cents_are_shown_in_dutch_notation():
    """4500050 cents are shown as 45.000,50."""
    assert cents_to_euros(4_500_050) == "45.000,50"


def test_the_page_shows_measures_evidence_and_reviews_of_the_college(director):
    """5100 sees its story and its Q-review from the demo, the ROC-wide measures apart, and no 5300 measure."""
    html = director.get(PAGE.format(code="5100")).content.decode()
    assert "Van entree naar niveau 2 (synthetisch)" in html
    assert "2020 Q2" in html and "Extra pluscoaches" in html
    assert "ROC-brede maatregelen" in html and "Overstapcoaches vmbo-mbo" in html
    assert "Match op meedoen" not in html  # a measure of 5300
    assert 'href="/dashboard/college/5100/"' in html


def test_adding_a_measure_stores_budget_in_cents_and_the_indicators(director):
    """The form takes euros; the measure is stored with cents, its category, status, owner and indicators."""
    theme = Theme.objects.get(code="T2")
    indicators = list(Indicator.objects.filter(code__in=["2b", "2a-n2"]).values_list("pk", flat=True))
    response = director.post(
        "/maatregelen/college/5100/maatregel/nieuw/",
        {
            "title": "Huiswerkklas niveau 2",
            "description": "Twee middagen per week",
            "theme": theme.pk,
            "category": "begeleiding",
            "indicators": indicators,
            "planned_budget_cents": "45.000,50",
            "status": "lopend",
            "owner": "Teamleider niveau 2",
        },
    )
    assert response.status_code == 302
    measure = Measure.objects.get(title="Huiswerkklas niveau 2")
    assert (measure.college.code, measure.planned_budget_cents, measure.category, measure.status) == (
        "5100",
        4_500_050,
        "begeleiding",
        "lopend",
    )
    assert sorted(measure.indicators.values_list("code", flat=True)) == ["2a-n2", "2b"]
    html = director.get(PAGE.format(code="5100")).content.decode()
    assert "€ 45.000,50" in html and "Huiswerkklas niveau 2" in html


def test_editing_a_measure_shows_euros_and_keeps_history(director):
    """The edit form shows the budget in euros; saving changes it and history keeps the old version."""
    college = College.objects.get(code="5100")
    measure = services.measure_create(
        college=college,
        theme=Theme.objects.get(code="T3"),
        title="Oud",
        category="programma",
        planned_budget_cents=1_000_000,
    )
    page = director.get(f"/maatregelen/college/5100/maatregel/{measure.pk}/")
    assert 'value="10.000,00"' in page.content.decode()
    fields = {
        "title": "Nieuw",
        "theme": measure.theme_id,
        "category": "programma",
        "planned_budget_cents": "12.000",
        "status": "afgerond",
    }
    assert director.post(f"/maatregelen/college/5100/maatregel/{measure.pk}/", fields).status_code == 302
    measure.refresh_from_db()
    assert (measure.title, measure.planned_budget_cents, measure.status) == ("Nieuw", 1_200_000, "afgerond")
    assert [h.title for h in measure.history.order_by("history_date")] == ["Oud", "Nieuw"]
    assert measure.history.latest("history_date").history_user.username == "directeur5100"


def test_an_invalid_budget_is_shown_beside_the_field_and_nothing_is_stored(director):
    """'12,345' euro is refused with a message linked to the field."""
    count = Measure.objects.count()
    response = director.post(
        "/maatregelen/college/5100/maatregel/nieuw/",
        {
            "title": "X",
            "theme": Theme.objects.get(code="T2").pk,
            "category": "programma",
            "planned_budget_cents": "12,345",
            "status": "gepland",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and Measure.objects.count() == count
    assert 'id="id_planned_budget_cents_error"' in html
    assert 'aria-describedby="id_planned_budget_cents_helptext id_planned_budget_cents_error"' in html


def test_evidence_of_a_team_is_recorded_and_its_text_escaped(director):
    """A story of one team is stored; markup in title and text is shown as text, never run."""
    team = Team.objects.get(code="5100-ENT")
    response = director.post(
        "/maatregelen/college/5100/merkbaar/nieuw/",
        {
            "kind": "verhaal",
            "theme": Theme.objects.get(code="T2").pk,
            "team": team.pk,
            "year": 2021,
            "title": "<b>Vet</b>",
            "text": "<script>alert('x')</script>\nTweede regel",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(title="<b>Vet</b>")
    assert (evidence.team, evidence.college.code, evidence.year, evidence.created_by.username) == (
        team,
        "5100",
        2021,
        "directeur5100",
    )
    html = director.get(PAGE.format(code="5100")).content.decode()
    assert "&lt;b&gt;Vet&lt;/b&gt;" in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<b>Vet</b>" not in html


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "beeld", "link": ""}, "link"),
        ({"kind": "beeld", "link": "javascript:alert(1)"}, "link"),
        ({"kind": "audit", "text": ""}, "text"),
        ({"year": 2030}, "year"),
    ],
)
def test_incomplete_evidence_is_refused_beside_the_field(director, fields, field):
    """An image needs a safe link, a story needs text, the year must be an agenda year."""
    data = {"kind": "verhaal", "theme": Theme.objects.get(code="T2").pk, "year": 2021, "title": "T", "text": "x"}
    data.update(fields)
    count = Evidence.objects.count()
    response = director.post("/maatregelen/college/5100/merkbaar/nieuw/", data)
    assert response.status_code == 400 and field in response.context["form"].errors
    assert Evidence.objects.count() == count


def test_an_image_link_is_stored_and_linked(director):
    """An image is a link to the picture, rendered as a link."""
    director.post(
        "/maatregelen/college/5100/merkbaar/nieuw/",
        {
            "kind": "beeld",
            "theme": Theme.objects.get(code="T1").pk,
            "year": 2022,
            "title": "Open dag",
            "link": "https://example.org/open-dag.jpg",
        },
    )
    html = director.get(PAGE.format(code="5100")).content.decode()
    assert 'href="https://example.org/open-dag.jpg"' in html


def test_one_q_review_per_college_year_and_quadrimester(director):
    """A second review for 2020 Q2 is refused on the quadrimester field; Q3 is fine."""
    count = Review.objects.count()
    data = {"year": 2020, "quadrimester": 2, "held_on": "2020-06-15", "notes": "Dubbel", "actions": ""}
    response = director.post("/maatregelen/college/5100/q-gesprek/nieuw/", data)
    assert response.status_code == 400
    assert "al een Q-gesprek" in response.context["form"].errors["quadrimester"][0]
    assert Review.objects.count() == count
    data["quadrimester"] = 3
    assert director.post("/maatregelen/college/5100/q-gesprek/nieuw/", data).status_code == 302
    review = Review.objects.get(college__code="5100", year=2020, quadrimester=3)
    assert (str(review.held_on), review.notes, review.created_by.username) == ("2020-06-15", "Dubbel", "directeur5100")


@pytest.mark.parametrize("quadrimester", ["0", "4"])
def test_a_quadrimester_outside_1_to_3_is_refused(director, quadrimester):
    """Only Q1, Q2 and Q3 exist."""
    response = director.post(
        "/maatregelen/college/5100/q-gesprek/nieuw/", {"year": 2021, "quadrimester": quadrimester, "notes": "x"}
    )
    assert response.status_code == 400 and "quadrimester" in response.context["form"].errors


def test_editing_a_q_review_changes_its_notes(director):
    """The demo's 2020 Q2 review of 5100 gets new notes; moving it onto an existing quadrimester is refused."""
    review = Review.objects.get(college__code="5100", year=2020, quadrimester=2)
    Review.objects.create(college=review.college, year=2020, quadrimester=1, notes="Q1")
    url = f"/maatregelen/college/5100/q-gesprek/{review.pk}/"
    assert director.post(url, {"year": 2020, "quadrimester": 1, "notes": "x"}).status_code == 400
    assert director.post(url, {"year": 2020, "quadrimester": 2, "notes": "<i>nieuw</i>"}).status_code == 302
    review.refresh_from_db()
    assert (review.quadrimester, review.notes) == (2, "<i>nieuw</i>")
    assert "&lt;i&gt;nieuw&lt;/i&gt;" in director.get(PAGE.format(code="5100")).content.decode()


def test_services_refuse_another_college_even_without_the_page(rocvaf_demo, db):
    """Called directly with the director's colleges, every write for 5200 raises PermissionDenied."""
    own, other = College.objects.get(code="5100"), College.objects.get(code="5200")
    theme = Theme.objects.get(code="T2")
    allowed = {own.pk}
    with pytest.raises(PermissionDenied):
        services.measure_create(college=other, theme=theme, title="x", category="programma", allowed_colleges=allowed)
    with pytest.raises(PermissionDenied):
        services.evidence_create(
            college=other, theme=theme, year=2021, kind="verhaal", title="x", allowed_colleges=allowed
        )
    with pytest.raises(PermissionDenied):
        services.review_create(college=other, year=2021, quadrimester=1, allowed_colleges=allowed)
    roc_wide = Measure.objects.filter(college__isnull=True).first()
    with pytest.raises(PermissionDenied):
        services.measure_update(
            measure=roc_wide, theme=theme, title="x", category="programma", allowed_colleges=allowed
        )
    with pytest.raises(ValidationError):
        services.evidence_create(
            college=own,
            team=Team.objects.filter(college=other).first(),
            theme=theme,
            year=2021,
            kind="verhaal",
            title="x",
        )


def _form_pages(college) -> list[tuple[str, str, dict, str]]:
    """Return each form page of 5100 as (address, template, a valid post, its success message)."""
    theme = Theme.objects.get(code="T2")
    measure = services.measure_create(college=college, theme=theme, title="Bestaand", category="programma")
    review = Review.objects.get(college=college, year=2020, quadrimester=2)
    measure_post = {"title": "Bestaand", "theme": theme.pk, "category": "programma", "status": "lopend"}
    base = PAGE.format(code=college.code)
    return [
        (f"{base}maatregel/nieuw/", "measure_form", measure_post, "De maatregel is toegevoegd."),
        (f"{base}maatregel/{measure.pk}/", "measure_form", measure_post, "De maatregel ‘Bestaand’ is bijgewerkt."),
        (
            f"{base}merkbaar/nieuw/",
            "evidence_form",
            {"kind": "verhaal", "theme": theme.pk, "year": 2021, "title": "T", "text": "x"},
            "Het merkbare bewijs is vastgelegd.",
        ),
        (f"{base}q-gesprek/nieuw/", "review_form", {"year": 2021, "quadrimester": 1}, "Het Q-gesprek is vastgelegd."),
        (
            f"{base}q-gesprek/{review.pk}/",
            "review_form",
            {"year": 2020, "quadrimester": 2, "notes": "Nieuw"},
            "Het Q-gesprek 2020 Q2 is bijgewerkt.",
        ),
    ]


def _stored() -> list:
    """Return every measure, evidence and Q-review row as stored."""
    return [list(model.objects.order_by("pk").values()) for model in (Measure, Evidence, Review)]


def test_every_form_page_shows_refuses_and_saves_alike(director):
    """Each form page: GET shows its template, an invalid POST is 400 and stores nothing, a valid POST says so."""
    for url, template, data, success in _form_pages(College.objects.get(code="5100")):
        page = director.get(url)
        assert page.status_code == 200 and f"maatregelen/{template}.html" in [t.name for t in page.templates]
        before = _stored()
        refused = director.post(url, {"title": "", "year": ""})
        assert refused.status_code == 400 and refused.context["form"].errors, url
        assert _stored() == before, url
        saved = director.post(url, data, follow=True)
        # A Q-gesprek opens on its own page, where its actions and check-ins are recorded.
        target = "/maatregelen/q-gesprek/" if template == "review_form" else PAGE.format(code="5100")
        assert saved.redirect_chain[0][0].startswith(target) and saved.redirect_chain[0][1] == 302, url
        assert [str(m) for m in saved.context["messages"]] == [success]
        assert _stored() != before, url


def test_a_page_for_a_missing_record_is_not_found(director):
    """An edit address with an unknown number is 404, for measures and Q-reviews alike."""
    assert director.get("/maatregelen/college/5100/maatregel/999999/").status_code == 404
    assert director.get("/maatregelen/college/5100/q-gesprek/999999/").status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_form_pages_answer_get_and_post_only(director, method):
    """Other methods get 405."""
    assert getattr(director, method)("/maatregelen/college/5100/maatregel/nieuw/").status_code == 405
