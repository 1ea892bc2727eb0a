"""Review of 9518f03 (a Q-gesprek's parts and partner agreements versioned): defects reproduced as failing tests.

Each test names the channel and what the user meets; the report beside this session says the fix.
The world is tests.maatregelen.test_lost_updates_delete_patch.build_world (institution NLD, director
of D100, policy user), rolled back after each test.
"""

from html import unescape

import pytest
from django.test import Client

from agenda.models import Indicator
from maatregelen import services, versions
from maatregelen.models import ActionItem, CheckIn, PartnerAgreement, Review, Spending
from tests.maatregelen.test_lost_updates_delete_patch import YEAR, build_world
from tests.maatregelen.test_q_parts_lost_updates import (
    checkin_post,
    follow_up_post,
    follow_up_versions,
    hidden,
    indicator,
    page_client,
    review_page,
)

# A version nested deeper than json.loads recurses: 1,998 characters, within the hidden fields' max_length.
DEEP = "[" * 999 + "]" * 999


@pytest.fixture
def world(db) -> dict:
    return build_world()


def lenient(client: Client) -> Client:
    """Return the client answering a server error with its 500 instead of raising it into the test."""
    client.raise_request_exception = False
    return client


# --- 1. the check-in form: a listed check-in deleted since ------------------------------------------


def test_a_check_in_form_whose_listed_check_in_was_deleted_since_can_be_saved_again(world):
    """The refusal ('De check-in is intussen verwijderd') must not repeat forever.

    The 400 page keeps the bound form, so its hidden checkin-version still lists the deleted check-in:
    every further save of the same form is refused again, and only a reload (losing the note) gets out.
    """
    client = page_client(world)
    shown = hidden(client.get(review_page(world)).content.decode(), "checkin-version")
    services.checkin_delete(check_in=world["check_in"])
    refused = client.post(review_page(world), checkin_post(world, "vsv", "risico", shown, "Mijn toelichting"))
    assert refused.status_code in (400, 409)
    assert "De check-in is intussen verwijderd" in unescape(refused.content.decode())
    assert not CheckIn.objects.filter(review=world["review"]).exists()
    # The user read the refusal and saves the form as the page now shows it.
    again_version = hidden(refused.content.decode(), "checkin-version")
    again = client.post(review_page(world), checkin_post(world, "vsv", "risico", again_version, "Mijn toelichting"))
    assert again.status_code == 302, (again.status_code, "intussen verwijderd" in unescape(again.content.decode()))
    assert CheckIn.objects.filter(review=world["review"]).values_list("status", "note").get() == (
        "risico",
        "Mijn toelichting",
    )


# --- 2. the check-in form of a review with many check-ins -------------------------------------------


def test_the_check_in_form_still_saves_when_the_review_lists_thirty_check_ins(world):
    """checkin-version is one JSON map of every listed check-in's token (~75 characters each), but the
    field keeps EditForm's max_length 2000: from about 27 check-ins on, every check-in post is a 400
    on a hidden field the user cannot change."""
    base = indicator(world, "vsv")
    for number in range(30):
        extra = Indicator.objects.get(pk=base.pk)
        extra.pk, extra.code, extra.name = None, f"s37x{number}", f"Extra indicator {number}"
        extra.save()
        services.checkin_record(review=world["review"], indicator=extra, status="op_koers")
    client = page_client(world)
    shown = hidden(client.get(review_page(world)).content.decode(), "checkin-version")
    saved = client.post(review_page(world), checkin_post(world, "kw", "risico", shown, "Zorgen"))
    assert saved.status_code == 302, f"{saved.status_code}, version of {len(shown)} characters"
    assert CheckIn.objects.get(review=world["review"], indicator__code="kw").status == "risico"


# --- 3. tampered hidden fields: a Dutch answer, not a 500 -------------------------------------------


def test_a_deeply_nested_check_in_version_is_answered_in_dutch_not_a_500(world):
    client = lenient(page_client(world))
    response = client.post(review_page(world), checkin_post(world, "kw", "risico", DEEP))
    # An unreadable version saw nothing; with no check-in stored for kw there is nothing to overwrite.
    assert response.status_code in (302, 400, 409), response.status_code


def test_a_deeply_nested_follow_up_version_is_answered_in_dutch_not_a_500(world):
    client = lenient(page_client(world))
    _, action_version = follow_up_versions(client, world)
    response = client.post(
        review_page(world, "later_review"), follow_up_post(world, "gereed", "", DEEP, action_version)
    )
    assert response.status_code in (302, 400, 409), response.status_code


def test_a_deeply_nested_partner_agreement_version_is_answered_in_dutch_not_a_500(world):
    promise = services.promise_save(
        institution=world["institution"], theme=world["measure"].theme, title="Stages", promise="P", budget_cents=0
    )
    row = services.partner_agreement_save(promise=promise, partner="Gemeente", agreement="Tien stageplekken")
    client = lenient(page_client(world, "nld_beleid"))
    post = {"action": "partner_delete", "pk": row.pk, "version": "[" * 3000 + "]" * 3000}
    response = client.post(f"/maatregelen/manifest/?jaar={YEAR}", post)
    assert response.status_code in (400, 409), response.status_code
    assert PartnerAgreement.objects.filter(pk=row.pk).exists()


def test_a_follow_up_form_name_with_a_superscript_digit_is_not_a_500(world):
    """views._posted_action: '²'.isdigit() is True but int('²') raises ValueError (before this commit: a 404)."""
    client = lenient(page_client(world))
    response = client.post(review_page(world, "later_review"), {"form": "followup-²"})
    assert response.status_code in (400, 404), response.status_code


# --- 4. wording ------------------------------------------------------------------------------------


def test_a_refused_review_delete_counts_one_action_in_the_singular(world):
    """'nu 1 actiepunten, 0 opvolgingen, 1 check-ins' is not Dutch: one is 'actiepunt', 'check-in'."""
    shown = versions.token(world["review"])
    services.checkin_record(review=world["review"], indicator=world["check_in"].indicator, note="Bijgewerkt")
    with pytest.raises(versions.StaleEdit) as refused:
        services.review_delete(
            review=Review.objects.get(pk=world["review"].pk), seen=versions.Read.from_token(shown, Review)
        )
    line = " ".join(refused.value.lines)
    assert "1 actiepunt," in line and "1 check-in)" in line, line


# --- 5. a lost update on the review page -----------------------------------------------------------


def test_editing_an_earlier_follow_up_note_keeps_the_status_a_later_conversation_recorded(world):
    """Q2 recorded 'in uitvoering', Q3 later 'gereed'. Correcting a typo in Q2's note (status left as
    the Q2 form shows it) puts the action back to 'in uitvoering': Q3's newer status is lost unseen and
    the action no longer matches its latest follow-up. (Older than this commit, which left it as is.)"""
    q3 = services.review_create(college=world["college"], year=YEAR, quadrimester=3)
    services.action_follow_up(
        action=world["action"], review=world["later_review"], status="in_uitvoering", note="Loopt"
    )
    services.action_follow_up(action=ActionItem.objects.get(pk=world["action"].pk), review=q3, status="gereed")
    client = page_client(world)
    version, action_version = follow_up_versions(client, world)
    saved = client.post(
        review_page(world, "later_review"), follow_up_post(world, "in_uitvoering", "Loopt nog", version, action_version)
    )
    assert saved.status_code in (302, 409)
    assert ActionItem.objects.get(pk=world["action"].pk).status == "gereed"


def test_a_check_in_post_that_drops_its_version_is_compared_with_what_the_session_was_shown(world):
    """page_reads: 'a post that leaves out the hidden field ... is still compared with what its user saw
    instead of overwriting blindly'. The review page's new forms do not remember what they listed, so a
    post without checkin-version replaces a check-in recorded after the page was shown."""
    client = page_client(world)
    client.get(review_page(world))
    services.checkin_record(review=world["review"], indicator=indicator(world, "kw"), status="uit_koers", note="Van B")
    post = checkin_post(world, "kw", "op_koers", "")
    del post["checkin-version"]
    response = client.post(review_page(world), post)
    assert response.status_code == 409
    assert CheckIn.objects.get(review=world["review"], indicator__code="kw").status == "uit_koers"


# --- 6. spending after the _keyed_save refactor ----------------------------------------------------


def test_a_line_recorded_without_a_user_takes_the_first_user_who_replaces_it_as_before(world):
    """services._spending_save set created_by when the stored line had none; _assign_save dropped that."""
    line = world["spending"]
    assert line.created_by_id is None
    user = world["users"]["nld_beleid"]
    services.spending_record(
        institution=world["institution"],
        year=line.year,
        theme=line.theme,
        college=line.college,
        measure=None,
        amount_cents=20_000,
        user=user,
    )
    assert Spending.objects.get(pk=line.pk).created_by_id == user.pk
