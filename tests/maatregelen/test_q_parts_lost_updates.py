"""No lost updates (domain.md) on the parts of a Q-gesprek and on partner agreements, which still let the last writer win.

1. Deleting a Q-gesprek takes along its actions, the follow-ups recorded in it and its check-ins
   (on_delete CASCADE). Its version now covers them: a delete after one was recorded or changed is
   refused (409 on the admin's page, 412 in the API). Deleting a review or an action that a later
   Q-gesprek followed up would delete that later conversation's follow-up: refused in Dutch.
2. Actions and check-ins in the API give an ETag and honour If-Match (412), as measures do.
3. The review page's check-in form carries the check-ins it listed, and each follow-up form the
   follow-up and the action it showed: one recorded or changed since is named (409), not replaced;
   on PostgreSQL also when both check-ins are inserted at the same moment.
4. A partner agreement's delete button carries its version (the manifesto page).
"""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from agenda.models import Indicator
from maatregelen import services, versions
from maatregelen.models import ActionFollowUp, ActionItem, CheckIn, PartnerAgreement, Review
from tests.maatregelen.test_lost_updates_delete_patch import YEAR, build_world, while_another_holds


@pytest.fixture
def world(db) -> dict:
    """Return the NLD world (tests.maatregelen.test_lost_updates_delete_patch), rolled back after the test."""
    return build_world()


def page_client(world, name: str = "nld_directeur") -> Client:
    client = Client()
    client.force_login(world["users"][name])
    return client


def api_client(world, name: str = "nld_directeur") -> APIClient:
    client = APIClient()
    client.force_authenticate(world["users"][name])
    return client


def indicator(world, code: str) -> Indicator:
    return Indicator.objects.get(institution=world["institution"], code=code)


def hidden(html: str, name: str) -> str:
    """Return the value of the page's hidden field `name` (the form's prefix included)."""
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return unescape(match.group(1))


# --- 1. deleting a Q-gesprek or an action ------------------------------------------------------------


def test_a_review_delete_is_refused_when_an_action_was_recorded_since_it_was_shown(world):
    review = world["review"]
    shown = versions.token(review)
    services.action_create(review=review, description="Tweede afspraak, na het tonen")
    with pytest.raises(versions.StaleEdit) as refused:
        services.review_delete(review=Review.objects.get(pk=review.pk), seen=versions.Read.from_token(shown, Review))
    assert refused.value.http_status == 409
    assert "Onderdelen: intussen vastgelegd, gewijzigd of verwijderd (nu 2 actiepunten, 0 opvolgingen, 1 check-in)" in (
        " ".join(refused.value.lines)
    )
    assert ActionItem.objects.filter(review=review).count() == 2
    # Shown again (the version of now), the delete goes ahead and takes both along.
    services.review_delete(
        review=Review.objects.get(pk=review.pk), seen=versions.Read.from_token(versions.token(review), Review)
    )
    assert not Review.objects.filter(pk=review.pk).exists()


def test_a_changed_check_in_also_changes_the_reviews_version_and_etag(world):
    review = world["review"]
    before_token, before_etag = versions.token(review), versions.etag(review)
    services.checkin_record(review=review, indicator=indicator(world, "vsv"), note="Bijgewerkt")
    assert versions.token(review) != before_token and versions.etag(review) != before_etag
    # Its own fields are unchanged, so an edit of the notes from the older page is still no conflict.
    saved = services.review_update(
        review=review, notes="Nieuw verslag", seen=versions.Read.from_token(before_token, Review)
    )
    assert saved.notes == "Nieuw verslag"


def test_the_api_delete_of_a_review_with_an_etag_from_before_a_new_check_in_is_412(world):
    client = api_client(world)
    review = world["review"]
    etag = client.get(f"/api/v1/reviews/{review.pk}/")["ETag"]
    services.checkin_record(review=review, indicator=indicator(world, "kw"), status="risico")
    refused = client.delete(f"/api/v1/reviews/{review.pk}/", HTTP_IF_MATCH=etag)
    assert refused.status_code == 412, refused.content
    assert Review.objects.filter(pk=review.pk).exists() and review.check_ins.count() == 2
    fresh = client.get(f"/api/v1/reviews/{review.pk}/")["ETag"]
    assert fresh != etag
    assert client.delete(f"/api/v1/reviews/{review.pk}/", HTTP_IF_MATCH=fresh).status_code == 204


def test_deleting_a_review_whose_action_a_later_review_followed_up_is_refused(world):
    services.action_follow_up(action=world["action"], review=world["later_review"], status="in_uitvoering")
    client = api_client(world)
    response = client.delete(f"/api/v1/reviews/{world['review'].pk}/")
    assert response.status_code == 400, response.content
    message = str(response.json())
    assert "Dit Q-gesprek heeft actiepunten die in een later Q-gesprek zijn opgevolgd (2021 Q2)" in message
    assert "‘vervallen’" in message
    assert Review.objects.filter(pk=world["review"].pk).exists()
    assert ActionFollowUp.objects.filter(review=world["later_review"]).count() == 1
    action = client.delete(f"/api/v1/review-actions/{world['action'].pk}/")
    assert action.status_code == 400 and "Dit actiepunt is in een later Q-gesprek opgevolgd (2021 Q2)" in str(
        action.json()
    )
    assert ActionItem.objects.filter(pk=world["action"].pk).exists()


def test_an_action_nobody_followed_up_is_still_deleted(world):
    assert api_client(world).delete(f"/api/v1/review-actions/{world['action'].pk}/").status_code == 204
    assert not ActionItem.objects.filter(pk=world["action"].pk).exists()


def test_the_admin_delete_page_refuses_a_review_with_a_check_in_recorded_since(world):
    admin = get_user_model().objects.create_superuser("nld_admin", "admin@example.org", "geheim-nld-admin-2021")
    client = Client()
    client.force_login(admin)
    url = f"/admin/maatregelen/review/{world['review'].pk}/delete/"
    shown = hidden(client.get(url).content.decode(), "version")
    services.checkin_record(review=world["review"], indicator=indicator(world, "kw"), status="uit_koers")
    response = client.post(url, {"post": "yes", "version": shown}, follow=True)
    html = unescape(response.content.decode())
    assert "Het Q-gesprek is intussen gewijzigd" in html and "er is niets verwijderd" in html
    assert "nu 1 actiepunt, 0 opvolgingen, 2 check-ins" in html
    assert Review.objects.filter(pk=world["review"].pk).exists()


# --- 2. actions and check-ins in the API -------------------------------------------------------------


def test_an_action_patch_with_an_etag_from_before_another_change_is_412_and_keeps_it(world):
    client = api_client(world)
    url = f"/api/v1/review-actions/{world['action'].pk}/"
    etag = client.get(url)["ETag"]
    services.action_update(action=ActionItem.objects.get(pk=world["action"].pk), owner="Piet")
    refused = client.patch(url, {"owner": "Kees"}, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 412, refused.content
    body = refused.json()
    assert "Het actiepunt is intussen gewijzigd" in body["detail"] and body["current"]["owner"] == "Piet"
    assert ActionItem.objects.get(pk=world["action"].pk).owner == "Piet"
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    saved = client.patch(url, {"owner": "Kees"}, format="json", HTTP_IF_MATCH=refused["ETag"])
    assert saved.status_code == 200 and saved.json()["owner"] == "Kees" and saved["ETag"] != refused["ETag"]


def test_a_check_in_patch_with_an_etag_from_before_another_change_is_412(world):
    client = api_client(world)
    url = f"/api/v1/review-check-ins/{world['check_in'].pk}/"
    etag = client.get(url)["ETag"]
    services.checkin_record(review=world["review"], indicator=indicator(world, "vsv"), status="uit_koers")
    refused = client.patch(url, {"status": "risico"}, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 412, refused.content
    assert CheckIn.objects.get(pk=world["check_in"].pk).status == "uit_koers"
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert client.patch(url, {"note": "Zonder If-Match"}, format="json").status_code == 200


# --- 3. the review page ------------------------------------------------------------------------------


def review_page(world, review_key: str = "review") -> str:
    return f"/maatregelen/q-gesprek/{world[review_key].pk}/"


def checkin_post(world, code: str, status: str, version: str, note: str = "") -> dict:
    return {
        "form": "checkin",
        "checkin-indicator": indicator(world, code).pk,
        "checkin-status": status,
        "checkin-note": note,
        "checkin-version": version,
    }


def test_a_check_in_recorded_meanwhile_for_the_chosen_indicator_is_named_not_replaced(world):
    client = page_client(world)
    shown = hidden(client.get(review_page(world)).content.decode(), "checkin-version")
    services.checkin_record(review=world["review"], indicator=indicator(world, "kw"), status="uit_koers", note="Van B")
    refused = client.post(review_page(world), checkin_post(world, "kw", "op_koers", shown))
    html = unescape(refused.content.decode())
    assert refused.status_code == 409
    assert "De check-in voor deze indicator in dit Q-gesprek is intussen al vastgelegd" in html
    assert "Koers: nu uit koers; uw waarde op koers is niet opgeslagen." in html
    assert CheckIn.objects.get(review=world["review"], indicator__code="kw").status == "uit_koers"
    # The page now lists it with its version: saving again replaces it knowingly.
    version = hidden(refused.content.decode(), "checkin-version")
    again = client.post(review_page(world), checkin_post(world, "kw", "op_koers", version))
    assert again.status_code == 302
    assert CheckIn.objects.get(review=world["review"], indicator__code="kw").status == "op_koers"


def test_a_listed_check_in_is_replaced_as_the_page_says_and_a_changed_one_is_refused(world):
    client = page_client(world)
    shown = hidden(client.get(review_page(world)).content.decode(), "checkin-version")
    saved = client.post(review_page(world), checkin_post(world, "vsv", "risico", shown, "Zorgen"))
    assert saved.status_code == 302
    assert CheckIn.objects.filter(review=world["review"]).values_list("status", "note").get() == ("risico", "Zorgen")
    # The same page's version again: the check-in changed since (by this very post), so another value is refused.
    stale = client.post(review_page(world), checkin_post(world, "vsv", "uit_koers", shown, "Zorgen"))
    assert stale.status_code == 409
    assert CheckIn.objects.filter(review=world["review"]).values_list("status", flat=True).get() == "risico"


def follow_up_post(world, status: str, note: str, version: str, action_version: str) -> dict:
    prefix = f"opvolging-{world['action'].pk}"
    return {
        "form": f"followup-{world['action'].pk}",
        f"{prefix}-status": status,
        f"{prefix}-note": note,
        f"{prefix}-version": version,
        f"{prefix}-action_version": action_version,
    }


def follow_up_versions(client, world) -> tuple[str, str]:
    html = client.get(review_page(world, "later_review")).content.decode()
    prefix = f"opvolging-{world['action'].pk}"
    return hidden(html, f"{prefix}-version"), hidden(html, f"{prefix}-action_version")


def test_a_follow_up_recorded_meanwhile_by_someone_else_is_named_not_replaced(world):
    client = page_client(world)
    version, action_version = follow_up_versions(client, world)
    services.action_follow_up(action=world["action"], review=world["later_review"], status="gereed", note="Klaar")
    refused = client.post(
        review_page(world, "later_review"), follow_up_post(world, "vervallen", "", version, action_version)
    )
    html = unescape(refused.content.decode())
    assert refused.status_code == 409, html[:2000]
    assert "Het actiepunt is intussen gewijzigd" in html and "de lijst toont wat er nu is opgeslagen" in html
    assert ActionFollowUp.objects.get(review=world["later_review"]).status == "gereed"
    assert ActionItem.objects.get(pk=world["action"].pk).status == "gereed"


def test_a_status_set_meanwhile_is_refused_when_the_follow_up_chose_another(world):
    client = page_client(world)
    version, action_version = follow_up_versions(client, world)
    api_client(world).patch(f"/api/v1/review-actions/{world['action'].pk}/", {"status": "gereed"}, format="json")
    refused = client.post(
        review_page(world, "later_review"), follow_up_post(world, "vervallen", "Weg", version, action_version)
    )
    html = unescape(refused.content.decode())
    assert refused.status_code == 409
    assert "Het actiepunt is intussen gewijzigd" in html
    assert "Status: nu gereed; uw waarde vervallen is niet opgeslagen." in html
    assert ActionItem.objects.get(pk=world["action"].pk).status == "gereed"
    assert not ActionFollowUp.objects.filter(review=world["later_review"]).exists()


def test_a_status_set_meanwhile_is_kept_when_the_follow_up_left_it_as_shown(world):
    client = page_client(world)
    version, action_version = follow_up_versions(client, world)
    api_client(world).patch(f"/api/v1/review-actions/{world['action'].pk}/", {"status": "gereed"}, format="json")
    saved = client.post(
        review_page(world, "later_review"), follow_up_post(world, "open", "Besproken", version, action_version)
    )
    assert saved.status_code == 302
    assert "Intussen door een ander gewijzigd en behouden: status (gereed)." in unescape(
        client.get(saved["Location"]).content.decode()
    )
    assert ActionItem.objects.get(pk=world["action"].pk).status == "gereed"
    assert ActionFollowUp.objects.filter(review=world["later_review"]).values_list("status", "note").get() == (
        "gereed",
        "Besproken",
    )


def test_a_follow_up_as_before_still_sets_the_actions_status(world):
    client = page_client(world)
    version, action_version = follow_up_versions(client, world)
    saved = client.post(
        review_page(world, "later_review"), follow_up_post(world, "in_uitvoering", "Loopt", version, action_version)
    )
    assert saved.status_code == 302
    assert ActionItem.objects.get(pk=world["action"].pk).status == "in_uitvoering"


# --- 4. partner agreements ---------------------------------------------------------------------------


def test_a_partner_agreement_changed_since_the_page_showed_it_is_not_deleted(world):
    promise = services.promise_save(
        institution=world["institution"],
        theme=world["measure"].theme,
        title="Stages",
        promise="Elke student een stage",
        budget_cents=0,
    )
    row = services.partner_agreement_save(promise=promise, partner="Gemeente", agreement="Tien stageplekken")
    client = page_client(world, "nld_beleid")
    html = client.get(f"/maatregelen/manifest/?jaar={YEAR}").content.decode()
    match = re.search(
        rf'name="action" value="partner_delete"><input type="hidden" name="pk" value="{row.pk}">'
        r'<input type="hidden" name="version" value="([^"]*)"',
        html,
    )
    assert match, "the delete button carries no version"
    services.partner_agreement_save(
        promise=promise, partner="Gemeente", agreement="Twintig stageplekken", agreement_row=row
    )
    post = {"action": "partner_delete", "pk": row.pk, "version": unescape(match.group(1))}
    refused = client.post(f"/maatregelen/manifest/?jaar={YEAR}", post)
    assert refused.status_code == 409
    assert "Afspraak: nu ‘Twintig stageplekken’." in unescape(refused.content.decode())
    assert PartnerAgreement.objects.filter(pk=row.pk).exists()
    with pytest.raises(versions.StaleEdit):
        services.partner_agreement_save(
            promise=promise,
            partner="Gemeente",
            agreement="Vijf",
            agreement_row=PartnerAgreement.objects.get(pk=row.pk),
            seen=versions.Read.from_token(unescape(match.group(1)), PartnerAgreement),
        )


def test_a_review_delete_service_refusal_is_dutch_for_a_command_too(world):
    services.action_follow_up(action=world["action"], review=world["later_review"], status="gereed")
    with pytest.raises(ValidationError, match="verwijderen zou die opvolging meenemen"):
        services.action_delete(action=world["action"])


# --- 3b. two check-ins at the same moment (PostgreSQL) ------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_check_in_committed_while_this_insert_waits_on_the_unique_index_is_named_not_a_500():
    """Two people record a check-in for the same indicator at once: the later insert is a 409, not a 500.

    Another connection inserts the check-in and holds its transaction open; the page's lookup cannot
    see it yet, so its insert waits on the unique constraint. Once the other commits, the insert is
    refused by the index (an IntegrityError, before this change a 500); now the stored one is named.
    """
    world = build_world()
    client = page_client(world)
    shown = hidden(client.get(review_page(world)).content.decode(), "checkin-version")
    kw = indicator(world, "kw")
    answers = {}

    def other_writer():
        CheckIn.objects.create(review=world["review"], indicator=kw, status="uit_koers", note="Van B")

    def page_post():
        response = client.post(review_page(world), checkin_post(world, "kw", "op_koers", shown))
        answers["status"], answers["html"] = response.status_code, unescape(response.content.decode())

    while_another_holds(other_writer, page_post)
    assert answers["status"] == 409, answers.get("status")
    assert "Koers: nu uit koers; uw waarde op koers is niet opgeslagen." in answers["html"]
    assert list(CheckIn.objects.filter(indicator=kw).values_list("status", "note")) == [("uit_koers", "Van B")]
