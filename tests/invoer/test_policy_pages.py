"""Policy pages with a dry run (issue 15 item 5): ambitions, applicability, shares and factors as revisions."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agenda.models import Ambition, Factor, FactorRevision, Indicator, ThemeShareRevision
from agenda.services import ambition_revise
from rapportage.engine.words import COLLEGE_WORDS, INDICATOR_WORDS
from rapportage.models import BudgetResult, IndicatorResult, VerdictChange, Version
from rapportage.services import recompute_now
from rapportage.whatif import budget_changes
from tests.invoer.policy_flow import preview, preview_and_save

AMBITIONS = reverse("beleid:ambitions")
APPLICABILITY = reverse("beleid:applicability")
SHARES = reverse("beleid:theme_shares")
FACTORS = reverse("beleid:factors")
PAGES = [AMBITIONS, APPLICABILITY, SHARES, FACTORS]


def logged_in(client, username: str):
    """Return the client logged in as a demo user."""
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def policy(client, rocvaf_demo):
    """Return a client logged in as policy staff (beleid)."""
    return logged_in(client, "beleid")


def ambition_post(**changes) -> dict:
    """Return a POST that lowers 1a's 2021 target from 7,1 to 6,9 (the institution's 6,98 then meets it)."""
    data = {
        "indicator": "1a",
        "from_year": "2021",
        "until_year": "2021",
        "type": "target",
        "target": "6,9",
        "tolerance": "0",
        "reason": "herijking 2020: streefcijfer 1a bijgesteld",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stored_budgets(institution) -> dict:
    """Return the stored budget payload per year."""
    return {row.year: row.payload for row in BudgetResult.objects.filter(institution=institution)}


def flip_rows(flips: list[dict]) -> list[tuple]:
    """Return the preview's flips as the change log stores them: indicator, year, college, was, wordt."""
    rows = []
    for flip in flips:
        words = COLLEGE_WORDS if flip["college"] else INDICATOR_WORDS
        rows.append((flip["indicator"], flip["year"], flip["college"], words[flip["old"]], words[flip["new"]]))
    return sorted(rows, key=str)


def logged_flips(run) -> list[tuple]:
    """Return the change log of a recompute run in the same shape."""
    changes = VerdictChange.objects.filter(run=run).select_related("indicator", "college")
    return sorted(
        ((c.indicator.code, c.year, c.college.code if c.college else None, c.old, c.new) for c in changes), key=str
    )


@pytest.mark.django_db
def test_a_previewed_ambition_revision_flips_exactly_the_verdicts_and_cents_its_preview_showed(policy, rocvaf_demo):
    """1a 2021 at 6,9: the preview's flips and budget changes equal the change log and budget after the recompute."""
    budgets_before = stored_budgets(rocvaf_demo)
    shown, saved = preview_and_save(policy, AMBITIONS, ambition_post())
    effects = shown.context["effects"]
    assert any(f["indicator"] == "1a" and f["college"] is None and f["new"] is True for f in effects.flips)
    assert len(effects.flips) >= 2 and effects.budget, "the example should move verdicts and cents"
    html = shown.content.decode()
    assert "Opslaan" in html and 'data-flip="1a|2021|"' in html

    assert saved.status_code == 302
    ambition = Ambition.objects.filter(indicator__code="1a", year=2021).order_by("-revision").first()
    # 1a had no ambition of its own for 2021 (its 2022 one applied): 2021 now has one, 2022 keeps its own.
    assert (ambition.target, ambition.author.username) == (Decimal("6.9"), "beleid")
    assert Ambition.objects.filter(indicator__code="1a", year=2022).order_by("-revision").first().target == Decimal(
        "7.1"
    )
    assert "Vastgelegd: de ambitie van 1a voor 2021." in policy.get(saved["Location"]).content.decode()

    run = recompute_now(institution=rocvaf_demo, reason="test")
    assert logged_flips(run) == flip_rows(effects.flips)
    assert budget_changes(budgets_before, stored_budgets(rocvaf_demo)) == effects.budget
    # A revised ambition moves no theme amount, only what of it is released: the summary shows both.
    assert (
        sum(row["released_difference_cents"] for row in effects.themes)
        == sum(c["new_released_cents"] - c["old_released_cents"] for c in effects.budget)
        != 0
    )
    assert IndicatorResult.objects.get(indicator__code="1a", year=2021, version=Version.CURRENT).attained is True


@pytest.mark.django_db
def test_a_preview_saves_nothing(policy, rocvaf_demo):
    """Previewing shows the effects; no ambition revision, no pending recompute is left behind."""
    revisions = Ambition.objects.count()
    response = preview(policy, AMBITIONS, ambition_post())
    assert response.status_code == 200 and response.context["effects"].flips
    assert Ambition.objects.count() == revisions
    from rapportage.models import RecomputeRun

    assert not RecomputeRun.objects.filter(institution=rocvaf_demo, state="pending").exists()


@pytest.mark.django_db
def test_a_stale_preview_saves_nothing_and_shows_the_new_preview(policy, rocvaf_demo):
    """Another herijking between preview and save: 409, the reason, nothing saved, a fresh preview to confirm."""
    shown = preview(policy, AMBITIONS, ambition_post())
    fingerprint = shown.context["effects"].fingerprint
    ambition_revise(
        indicator=Indicator.objects.get(code="1a"), year=2021, type="target", target=Decimal("7"), reason="tussendoor"
    )
    revisions = Ambition.objects.filter(indicator__code="1a", year=2021).count()
    response = policy.post(AMBITIONS, {**ambition_post(), "save": "1", "fingerprint": fingerprint})
    assert response.status_code == 409
    assert "sinds het voorbeeld gewijzigd; er is niets opgeslagen" in response.content.decode()
    assert Ambition.objects.filter(indicator__code="1a", year=2021).count() == revisions
    assert response.context["effects"].fingerprint != fingerprint


@pytest.mark.django_db
def test_changing_a_field_after_the_preview_saves_nothing(policy):
    """Saving 6,8 with the fingerprint of a 6,9 preview is refused: only what was previewed is saved."""
    fingerprint = preview(policy, AMBITIONS, ambition_post()).context["effects"].fingerprint
    revisions = Ambition.objects.count()
    response = policy.post(AMBITIONS, {**ambition_post(target="6,8"), "save": "1", "fingerprint": fingerprint})
    assert response.status_code == 409 and Ambition.objects.count() == revisions


@pytest.mark.django_db
def test_a_point_is_read_as_a_decimal_point_not_a_thousands_separator(policy):
    """6.9 means 6,9 (Django's Dutch DecimalField would read 69)."""
    response = preview(policy, AMBITIONS, ambition_post(target="6.9"))
    assert response.status_code == 200 and response.context["form"].cleaned_data["target"] == Decimal("6.9")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target": "zes"}, "target", "Geen getal; schrijf bijvoorbeeld 6,5 of 70."),
        ({"target": "11"}, "target", "Waarde 11 past niet bij de eenheid"),
        ({"target": "6,1234567"}, "target", "Te veel decimalen in 6,1234567"),
        ({"reason": " "}, "reason", "Geef de reden van de herijking."),
        ({"target": None}, "target", "Een ambitie van de soort streefcijfer heeft een streefcijfer nodig."),
        ({"type": "maintain"}, "target", "Alleen een ambitie van de soort streefcijfer heeft een streefcijfer."),
        ({"until_year": "2020"}, "until_year", "Kies een jaar van 2021 tot en met 2022."),
        ({"from_year": "2023"}, "from_year", "2023 valt buiten de periode 2019-2022."),
        ({"indicator": None}, "indicator", "Dit veld is vereist."),
    ],
)
def test_an_invalid_ambition_is_refused_with_a_dutch_message_beside_its_field(policy, changes, field, message):
    """Every refusal is a Dutch message on its field, 400, no preview and nothing stored."""
    revisions = Ambition.objects.count()
    response = preview(policy, AMBITIONS, ambition_post(**changes))
    assert response.status_code == 400
    assert any(error.startswith(message) for error in response.context["form"].errors[field]), response.context[
        "form"
    ].errors
    assert response.context["effects"] is None and "Opslaan" not in response.content.decode()
    assert Ambition.objects.count() == revisions


@pytest.mark.django_db
def test_a_share_revision_preview_lists_the_cents_per_year_and_theme_and_saves_them(policy, rocvaf_demo):
    """T1 30 % from 2021: the preview's budget changes are exactly those of the recompute, per theme summed."""
    budgets_before = stored_budgets(rocvaf_demo)
    data = {"theme": "T1", "from_year": "2021", "budget_share_pct": "30", "reason": "herijking 2020"}
    shown, saved = preview_and_save(policy, SHARES, data)
    effects = shown.context["effects"]
    assert effects.budget and {row["year"] for row in effects.themes} >= {2021, 2022}
    t1_2021 = next(row for row in effects.themes if (row["year"], row["theme"]) == (2021, "T1"))
    assert t1_2021["difference_cents"] == t1_2021["new_cents"] - t1_2021["old_cents"] > 0
    assert saved.status_code == 302
    assert ThemeShareRevision.objects.get(theme__code="T1", from_year=2021).budget_share_pct == 30
    recompute_now(institution=rocvaf_demo, reason="test")
    assert budget_changes(budgets_before, stored_budgets(rocvaf_demo)) == effects.budget


@pytest.mark.django_db
def test_a_factor_is_added_and_changed_with_its_reason_and_flips_nothing(policy):
    """A new factor of 1a is previewed (no verdict changes) and saved with its reason; changing it adds a revision."""
    data = {"indicator": "1a", "name": "Krapte op de arbeidsmarkt", "effect": "-", "reason": "nieuw inzicht 2021"}
    shown, saved = preview_and_save(policy, FACTORS, data)
    assert shown.context["effects"].flips == [] and "Geen enkel oordeel verandert" in shown.content.decode()
    assert saved.status_code == 302
    factor = Factor.objects.get(indicator__code="1a", name="Krapte op de arbeidsmarkt")
    edit = {**data, "factor": factor.pk, "effect": "?", "reason": "effect onzeker"}
    assert preview_and_save(policy, FACTORS, edit)[1].status_code == 302
    factor.refresh_from_db()
    assert factor.effect == "?"
    assert [r.reason for r in FactorRevision.objects.filter(factor=factor)] == ["effect onzeker", "nieuw inzicht 2021"]
    page = policy.get(FACTORS).content.decode()
    assert "effect onzeker" in page


@pytest.mark.django_db
def test_a_second_save_of_the_same_factor_from_an_old_preview_is_stale_and_saves_nothing(policy):
    """P1 and P2 preview an edit of one factor; P1 saves; P2's save gets 409, the Dutch reason and a fresh preview."""
    factor = Factor.objects.filter(indicator__code="1a").first()
    base = {"indicator": "1a", "factor": factor.pk, "name": factor.name, "description": factor.description}
    first = {**base, "effect": "+", "reason": "P1: gunstig"}
    second = {**base, "effect": "-", "reason": "P2: ongunstig"}
    fingerprint = preview(policy, FACTORS, second).context["effects"].fingerprint
    assert preview_and_save(policy, FACTORS, first)[1].status_code == 302

    response = policy.post(FACTORS, {**second, "save": "1", "fingerprint": fingerprint})
    assert response.status_code == 409
    assert "sinds het voorbeeld gewijzigd; er is niets opgeslagen" in response.content.decode()
    assert response.context["effects"].fingerprint != fingerprint
    factor.refresh_from_db()
    assert factor.effect == "+"
    assert [r.reason for r in FactorRevision.objects.filter(factor=factor)] == ["P1: gunstig"]
    # The fresh preview holds: saving it now is P2's deliberate choice over P1's edit.
    fresh = response.context["effects"].fingerprint
    assert policy.post(FACTORS, {**second, "save": "1", "fingerprint": fresh}).status_code == 302


@pytest.mark.django_db
def test_a_factor_without_reason_or_of_another_indicator_is_refused(policy):
    """No reason, or a factor that belongs to another indicator: 400, Dutch messages, nothing stored."""
    other = Factor.objects.exclude(indicator__code="1a").first()
    response = preview(policy, FACTORS, {"indicator": "1a", "name": "X", "effect": "+", "reason": ""})
    assert response.status_code == 400 and response.context["form"].errors["reason"] == [
        "Geef de reden van de herijking."
    ]
    if other is not None:
        data = {"indicator": "1a", "factor": other.pk, "name": "X", "effect": "+", "reason": "r"}
        response = preview(policy, FACTORS, data)
        assert response.status_code == 400 and "factor" in response.context["form"].errors
    assert not FactorRevision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["bestuur", "directeur5100"])
def test_only_policy_staff_may_use_the_policy_pages(client, rocvaf_demo, page, username):
    """The board and a director get 403 on GET, preview and save; nothing is stored."""
    logged_in(client, username)
    revisions = Ambition.objects.count()
    assert client.get(page).status_code == 403
    assert client.post(page, {**ambition_post(), "preview": "1"}).status_code == 403
    assert client.post(page, {**ambition_post(), "save": "1", "fingerprint": "x"}).status_code == 403
    assert Ambition.objects.count() == revisions


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, rocvaf_demo, page):
    """An anonymous visitor is redirected to the login page."""
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "linked"), [("beleid", True), ("bestuur", False), ("directeur5100", False)])
def test_only_policy_staff_see_the_link_to_the_policy_pages(client, rocvaf_demo, username, linked):
    """The nav offers 'Agenda beheren' to beleid only; others see no link to a page that would refuse them."""
    html = logged_in(client, username).get(reverse("rapportage:overview")).content.decode()
    assert (f'href="{AMBITIONS}"' in html) is linked


@pytest.mark.django_db
def test_every_policy_page_links_the_others(policy):
    """Each policy page shows the sub-nav to all four."""
    for page in PAGES:
        html = policy.get(page).content.decode()
        assert all(f'href="{other}"' in html for other in PAGES)


@pytest.mark.django_db
def test_choosing_an_ambition_fills_in_the_one_in_force(policy):
    """?indicator=1a&from_year=2021 fills in 1a's 2021 ambition: streefcijfer 7,1."""
    form = policy.get(AMBITIONS, {"indicator": "1a", "from_year": "2021"}).context["form"]
    assert (form.initial["indicator"], form.initial["type"], form.initial["target"]) == ("1a", "target", "7,1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/teams/herijking/toepasbaarheid/?indicator=2a-entree", f"{APPLICABILITY}?indicator=2a-entree"),
        ("/teams/herijking/budgetaandelen/", SHARES),
    ],
)
def test_the_old_herijking_addresses_redirect_to_the_policy_pages(policy, old, new):
    """Bookmarks of the old herijking pages keep working, with their query."""
    response = policy.get(old)
    assert response.status_code == 301 and response["Location"] == new


@pytest.mark.django_db
def test_in_the_admin_revisions_are_read_and_only_a_superuser_adds_an_ambition(client, rocvaf_demo, rf):
    """Everyone reads shares, applicability, baselines and factors in the admin; the policy pages write them.

    A superuser still adds an ambition there, through ambition_revise (AmbitionAdmin.save_model).
    """
    from django.contrib import admin

    from agenda.models import Theme

    staff = get_user_model().objects.get(username="beleid")
    staff.is_staff = True
    staff.save()
    root = get_user_model().objects.create_superuser("root-h4", "root@example.org", "pw")
    indicator = Indicator.objects.get(code="1a")
    theme = Theme.objects.get(institution=rocvaf_demo, code="T1")
    logged_in(client, "beleid")
    assert client.get("/admin/agenda/ambition/add/").status_code == 403
    for user, allowed in ((staff, False), (root, True)):
        request = rf.get("/admin/")
        request.user = user
        inlines = admin.site._registry[Indicator].get_inline_instances(request, indicator)
        inlines += admin.site._registry[Theme].get_inline_instances(request, theme)
        kinds = ("Applicability", "BaselineRevision", "Factor", "ThemeShareRevision")
        revisions = [i for i in inlines if i.model.__name__ in kinds]
        assert len(revisions) == 4
        writable = [i for i in revisions if i.has_add_permission(request, indicator)]
        writable += [i for i in revisions if i.has_change_permission(request, indicator)]
        writable += [i for i in revisions if i.has_delete_permission(request, indicator)]
        assert writable == []
        assert admin.site._registry[Ambition].has_add_permission(request) is allowed
