"""No lost updates (domain.md) on the spending page and the spending API, which still let the last writer win.

1. The page's edit form carries the version it showed (as the measure and evidence pages do): a
   save after someone changed the same field is refused (409) naming the newer value; a field only
   someone else changed keeps their value.
2. The page's "new line" form saw no stored line: a line someone recorded meanwhile under the same
   year, theme, college and measure is named (409) instead of replaced unseen; on PostgreSQL also
   when it is committed while this insert waits on the unique index (a real second connection).
3. The delete button carries the version of the line it lists: a line changed since is not deleted.
4. The API gives an ETag and honours If-Match (412) on PATCH and DELETE, as for measures.
"""

import re
from html import unescape

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agenda.models import Theme
from maatregelen import services, versions
from maatregelen.models import Spending
from tests.maatregelen.test_lost_updates_delete_patch import YEAR, build_world, while_another_holds

PAGE = "/maatregelen/besteding/"


@pytest.fixture
def world(db) -> dict:
    """Return the NLD world (tests.maatregelen.test_lost_updates_delete_patch), rolled back after the test."""
    return build_world()


def client_of(world, name: str = "nld_directeur") -> Client:
    client = Client()
    client.force_login(world["users"][name])
    return client


def hidden_versions(html: str) -> list[str]:
    """Return the values of the page's hidden version fields, in page order."""
    return [unescape(v) for v in re.findall(r'<input type="hidden" name="version" value="([^"]*)"', html)]


def form_version(html: str) -> str:
    """Return the version the spending form carries (Django renders it with an id, the delete buttons without)."""
    match = re.search(r'<input type="hidden" name="version" value="([^"]*)" id="id_version"', html)
    return unescape(match.group(1)) if match else ""


def line_post(world, amount: str, note: str, **extra) -> dict:
    """Return the form's fields for the world's line (2021, T1, D100, no measure)."""
    line = world["spending"]
    return {
        "action": "save",
        "year": YEAR,
        "theme": line.theme_id,
        "college": line.college_id,
        "measure": "",
        "amount_cents": amount,
        "note": note,
        **extra,
    }


def others_change(world, **changes) -> None:
    """Policy staff change the world's line through the service (another writer)."""
    services.spending_update(spending=Spending.objects.get(pk=world["spending"].pk), **changes)


def stored(world) -> tuple[int, str]:
    return Spending.objects.filter(pk=world["spending"].pk).values_list("amount_cents", "note").get()


# --- 1. the edit form --------------------------------------------------------------------------------


def test_an_edit_after_someone_changed_the_amount_is_refused_naming_the_newer_amount(world):
    client = client_of(world)
    shown = client.get(f"{PAGE}?jaar={YEAR}&bewerk={world['spending'].pk}").content.decode()
    assert form_version(shown) == versions.token(world["spending"])
    others_change(world, amount_cents=20_000)
    post = line_post(world, "150,00", "Eerste opgave", pk=world["spending"].pk, version=form_version(shown))
    refused = client.post(PAGE, post)
    raw = refused.content.decode()
    html = unescape(raw)
    assert refused.status_code == 409
    assert (
        "is intussen gewijzigd" in html and "Gerealiseerd: nu € 200,00; uw waarde € 150,00 is niet opgeslagen." in html
    )
    assert stored(world) == (20_000, "Eerste opgave")
    # The form now carries the version it shows: saving again is the user's decision, and is written.
    assert form_version(raw) == versions.token(Spending.objects.get(pk=world["spending"].pk))
    again = client.post(PAGE, {**post, "version": form_version(raw)})
    assert again.status_code == 302 and stored(world) == (15_000, "Eerste opgave")


def test_a_field_only_someone_else_changed_keeps_their_value(world):
    client = client_of(world)
    shown = client.get(f"{PAGE}?jaar={YEAR}&bewerk={world['spending'].pk}").content.decode()
    others_change(world, note="Toelichting van beleid")
    # The page posts every field: the note as it showed it, the amount changed.
    post = line_post(world, "150,00", "Eerste opgave", pk=world["spending"].pk, version=form_version(shown))
    response = client.post(PAGE, post, follow=True)
    assert response.status_code == 200
    assert stored(world) == (15_000, "Toelichting van beleid")
    assert "Intussen door een ander gewijzigd en behouden: Toelichting (‘Toelichting van beleid’)" in unescape(
        response.content.decode()
    )


def test_a_post_without_the_hidden_version_is_compared_with_what_the_session_saw(world):
    client = client_of(world)
    client.get(f"{PAGE}?jaar={YEAR}&bewerk={world['spending'].pk}")
    others_change(world, amount_cents=20_000)
    refused = client.post(PAGE, line_post(world, "150,00", "Eerste opgave", pk=world["spending"].pk))
    assert refused.status_code == 409 and stored(world) == (20_000, "Eerste opgave")


# --- 2. a new line under a key someone recorded meanwhile ------------------------------------------------


def test_a_new_line_under_a_key_recorded_meanwhile_is_named_not_replaced(world):
    client = client_of(world)
    # The page was opened before the line existed: the world's line is deleted and recorded again later.
    Spending.objects.filter(pk=world["spending"].pk).delete()
    client.get(f"{PAGE}?jaar={YEAR}")
    theme = Theme.objects.get(pk=world["spending"].theme_id)
    kept = services.spending_record(
        institution=world["institution"],
        year=YEAR,
        theme=theme,
        college=world["college"],
        measure=None,
        amount_cents=40_000,
        note="Van beleid",
    )
    refused = client.post(PAGE, line_post(world, "300,00", ""))
    raw = refused.content.decode()
    html = unescape(raw)
    assert refused.status_code == 409
    assert "met dit jaar, thema, college en deze maatregel is intussen al vastgelegd" in html
    assert "Gerealiseerd: nu € 400,00; uw waarde € 300,00 is niet opgeslagen." in html
    assert Spending.objects.filter(year=YEAR).values_list("pk", "amount_cents").get() == (kept.pk, 40_000)
    # The form now edits the stored line, with its version: saving again replaces it knowingly.
    assert f'name="pk" value="{kept.pk}"' in html
    assert form_version(raw) == versions.token(kept)
    again = client.post(PAGE, line_post(world, "300,00", "", pk=kept.pk, version=form_version(raw)))
    assert again.status_code == 302
    assert Spending.objects.filter(year=YEAR).values_list("amount_cents", "note").get() == (30_000, "")


def test_a_new_line_with_the_values_already_stored_is_no_conflict(world):
    response = client_of(world).post(PAGE, line_post(world, "100,00", "Eerste opgave"))
    assert response.status_code == 302 and Spending.objects.filter(year=YEAR).count() == 1


def test_the_api_post_still_replaces_the_line_with_its_key(world):
    """contracts-extensions.md: a POST with the key of a stored line replaces its amount (no version to compare)."""
    client = APIClient()
    client.force_authenticate(world["users"]["nld_beleid"])
    line = world["spending"]
    body = {"year": YEAR, "theme": "T1", "college": "D100", "amount_cents": 77_700}
    response = client.post("/api/v1/spending/", body, format="json")
    assert response.status_code == 201, response.content
    assert Spending.objects.filter(year=YEAR).values_list("pk", "amount_cents").get() == (line.pk, 77_700)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_new_line_committed_while_this_insert_waits_on_the_unique_index_is_named_not_a_500():
    """Two people add the same line at once: the second insert waits for the first's commit, then is a 409.

    Another connection inserts the line and holds its transaction open; the page's lookup cannot see
    it yet, so its insert waits on the unique index. Once the other commits, the insert is refused
    by the index: before, that IntegrityError was a 500; now the stored line is named.
    """
    world = build_world()
    Spending.objects.filter(pk=world["spending"].pk).delete()
    theme_id, college_id = world["spending"].theme_id, world["college"].pk
    answers = {}

    def other_writer():
        Spending.objects.create(
            institution=world["institution"],
            year=YEAR,
            theme_id=theme_id,
            college_id=college_id,
            amount_cents=40_000,
            note="Van beleid",
        )

    def page_post():
        response = client_of(world).post(PAGE, line_post(world, "300,00", ""))
        answers["status"], answers["html"] = response.status_code, unescape(response.content.decode())

    while_another_holds(other_writer, page_post)
    assert answers["status"] == 409, answers.get("status")
    assert "Gerealiseerd: nu € 400,00; uw waarde € 300,00 is niet opgeslagen." in answers["html"]
    assert list(Spending.objects.filter(year=YEAR).values_list("amount_cents", "note")) == [(40_000, "Van beleid")]


# --- 3. the delete button ------------------------------------------------------------------------------


def test_a_delete_of_a_line_changed_since_the_list_showed_it_is_refused(world):
    client = client_of(world)
    listed = client.get(f"{PAGE}?jaar={YEAR}").content.decode()
    (shown,) = hidden_versions(listed)  # the one line's delete button; the new-line form has no version
    assert shown == versions.token(world["spending"])
    others_change(world, note="Toelichting van beleid")
    refused = client.post(f"{PAGE}?jaar={YEAR}", {"action": "delete", "pk": world["spending"].pk, "version": shown})
    raw = refused.content.decode()
    html = unescape(raw)
    assert refused.status_code == 409
    assert "Niet verwijderd." in html and "Toelichting: nu ‘Toelichting van beleid’." in html
    assert Spending.objects.filter(pk=world["spending"].pk).exists()
    # The list now shows the line as stored, with its version: deleting that is the user's decision.
    (current,) = hidden_versions(raw)
    assert current == versions.token(Spending.objects.get(pk=world["spending"].pk))
    deleted = client.post(f"{PAGE}?jaar={YEAR}", {"action": "delete", "pk": world["spending"].pk, "version": current})
    assert deleted.status_code == 302 and not Spending.objects.filter(pk=world["spending"].pk).exists()
    assert (
        Spending.history.filter(id=world["spending"].pk, history_type="-").get().history_user
        == (world["users"]["nld_directeur"])
    )


# --- 4. the API ----------------------------------------------------------------------------------------


def test_the_api_gives_an_etag_and_refuses_a_stale_if_match(world):
    client = APIClient()
    client.force_authenticate(world["users"]["nld_directeur"])
    url = f"/api/v1/spending/{world['spending'].pk}/"
    read = client.get(url)
    assert read.status_code == 200 and read["ETag"] == versions.etag(world["spending"])
    others_change(world, note="Toelichting van beleid")
    stale = client.patch(url, {"amount_cents": 1}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412 and stale.json()["current"]["note"] == "Toelichting van beleid"
    assert client.delete(url, HTTP_IF_MATCH=read["ETag"]).status_code == 412
    assert stored(world) == (10_000, "Toelichting van beleid")
    fresh = client.patch(url, {"amount_cents": 1}, format="json", HTTP_IF_MATCH=stale["ETag"])
    assert fresh.status_code == 200 and stored(world) == (1, "Toelichting van beleid")
    assert client.delete(url, HTTP_IF_MATCH=fresh["ETag"]).status_code == 204


# --- 5. a file confirmed after its preview ------------------------------------------------------------


def upload(client, *lines: str):
    import io

    data = io.BytesIO(("jaar;thema;college;maatregel;bedrag\n" + "\n".join(lines) + "\n").encode())
    data.name = "besteding.csv"
    return client.post(PAGE, {"action": "preview", "file": data})


def test_a_file_confirmed_after_a_line_changed_since_its_preview_saves_nothing(world):
    client = client_of(world, "nld_beleid")
    preview = unescape(upload(client, f"{YEAR};T1;D100;;250,00", f"{YEAR};T1;D200;;1,00").content.decode())
    assert "1 nieuw, 1 gewijzigd" in preview
    others_change(world, amount_cents=20_000)  # after the preview showed € 100,00
    refused = unescape(client.post(PAGE, {"action": "confirm"}).content.decode())
    assert "Het bestand is niet verwerkt" in refused
    assert "Regel 2: De besteding is intussen gewijzigd" in refused
    assert "Gerealiseerd: nu € 200,00; uw waarde € 250,00 is niet opgeslagen." in refused
    assert stored(world) == (20_000, "Eerste opgave")
    assert Spending.objects.filter(year=YEAR).count() == 1  # the other row is not saved either
    # Loaded again, the preview shows the new amount and the confirmation replaces it knowingly.
    assert "€ 200,00" in unescape(upload(client, f"{YEAR};T1;D100;;250,00").content.decode())
    assert client.post(PAGE, {"action": "confirm"}).status_code == 302
    assert stored(world)[0] == 25_000


def test_a_file_confirmed_after_a_new_line_was_recorded_under_its_key_saves_nothing(world):
    client = client_of(world, "nld_beleid")
    Spending.objects.filter(pk=world["spending"].pk).delete()
    assert "1 nieuw" in unescape(upload(client, f"{YEAR};T1;D100;;250,00").content.decode())
    services.spending_record(
        institution=world["institution"],
        year=YEAR,
        theme=Theme.objects.get(pk=world["spending"].theme_id),
        college=world["college"],
        measure=None,
        amount_cents=40_000,
    )
    refused = unescape(client.post(PAGE, {"action": "confirm"}).content.decode())
    assert "is intussen al vastgelegd" in refused and "nu € 400,00" in refused
    assert list(Spending.objects.filter(year=YEAR).values_list("amount_cents", flat=True)) == [40_000]


# --- 6. found by this session's review (tests/review_s36) ----------------------------------------------


def test_a_file_confirmed_after_a_previewed_line_was_deleted_does_not_recreate_it(world):
    client = client_of(world, "nld_beleid")
    assert "1 gewijzigd" in unescape(upload(client, f"{YEAR};T1;D100;;250,00").content.decode())
    services.spending_delete(
        spending=Spending.objects.get(pk=world["spending"].pk), user=world["users"]["nld_directeur"]
    )
    refused = unescape(client.post(PAGE, {"action": "confirm"}).content.decode())
    assert "Regel 2: De besteding is intussen verwijderd; er is niets opgeslagen." in refused
    assert not Spending.objects.filter(year=YEAR).exists()


def test_a_multi_line_note_posted_back_with_crlf_is_the_note_as_shown(world):
    """A browser posts a textarea's breaks as CRLF; the stored LF note the user left alone keeps the newer one."""
    line = world["spending"]
    services.spending_update(spending=Spending.objects.get(pk=line.pk), note="Regel een\nRegel twee")
    client = client_of(world)
    shown = client.get(f"{PAGE}?jaar={YEAR}&bewerk={line.pk}").content.decode()
    services.spending_update(spending=Spending.objects.get(pk=line.pk), note="Toelichting van beleid")
    post = line_post(world, "150,00", "Regel een\r\nRegel twee", pk=line.pk, version=form_version(shown))
    assert client.post(PAGE, post).status_code == 302
    assert stored(world) == (15_000, "Toelichting van beleid")


def test_deleting_a_measure_with_spending_is_refused_in_dutch_not_a_500(world):
    from rest_framework.test import APIClient as Api

    measure = world["measure"]
    services.spending_record(
        institution=world["institution"],
        year=YEAR,
        theme=measure.theme,
        college=world["college"],
        measure=measure,
        amount_cents=5_000,
    )
    api = Api(raise_request_exception=False)
    api.force_authenticate(world["users"]["nld_beleid"])
    response = api.delete(f"/api/v1/measures/{measure.pk}/")
    assert response.status_code == 400, response.status_code
    assert "heeft 1 bestedingsregel; verwijder die eerst" in str(response.json()), response.json()
    assert type(measure).objects.filter(pk=measure.pk).exists()
