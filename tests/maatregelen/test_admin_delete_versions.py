"""The admin's delete pages compare with what they showed (domain.md, "No lost updates"), as the pages and the API do.

Policy staff open the delete page of evidence (or tick two measures and choose "delete selected");
meanwhile a director changes one of them. Confirming the older page deleted the newer version
unseen, through obj.delete() instead of the service. Now the pages carry each record's version, the
delete goes through maatregelen.services (history's author, college rights) and a record changed
since is not deleted: nothing is (the bulk delete is one transaction), and the message names what
changed.
"""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client

from maatregelen import services, versions
from maatregelen.models import Evidence, Measure
from tests.maatregelen.test_no_lost_updates import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict:
    return build_world()


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("nlu_admin_delete", password="geheim-nlu-2021"))
    return client


def hidden(html: str) -> dict:
    """Return the page's hidden version fields by name."""
    return {
        k: unescape(v) for k, v in re.findall(r'<input type="hidden" name="(version[-0-9]*)" value="([^"]*)"', html)
    }


def said(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def test_the_delete_page_refuses_evidence_changed_since_it_was_shown(world, admin_client):
    evidence = world["evidence"]
    url = f"/admin/maatregelen/evidence/{evidence.pk}/delete/"
    shown = hidden(admin_client.get(url).content.decode())
    assert shown == {"version": versions.token(evidence)}
    services.evidence_update(evidence=Evidence.objects.get(pk=evidence.pk), text="Tweede versie van de directeur.")
    refused = admin_client.post(url, {"post": "yes", **shown})
    assert refused.status_code == 302 and refused["Location"] == url  # the delete page again, with the version now
    assert "Het merkbare bewijs is intussen gewijzigd; er is niets verwijderd." in said(refused)
    assert "Tekst: nu ‘Tweede versie van de directeur.’." in said(refused)
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    again = hidden(admin_client.get(url).content.decode())
    assert again == {"version": versions.token(Evidence.objects.get(pk=evidence.pk))}
    assert admin_client.post(url, {"post": "yes", **again}).status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    # Through the service: history names who deleted it.
    assert Evidence.history.filter(id=evidence.pk, history_type="-").get().history_user.username == "nlu_admin_delete"


def test_delete_selected_deletes_nothing_when_one_record_changed_since_the_page(world, admin_client):
    measure = world["measure"]
    other = services.measure_create(
        college=world["college"], theme=world["theme"], title="Mentoraat", category="programma"
    )
    changelist = "/admin/maatregelen/measure/"
    selected = {"action": "delete_selected", "_selected_action": [measure.pk, other.pk]}
    page = admin_client.post(changelist, selected)
    shown = hidden(page.content.decode())
    assert shown == {f"version-{m.pk}": versions.token(m) for m in (measure, other)}
    services.measure_update(measure=Measure.objects.get(pk=measure.pk), owner="Jan")
    refused = admin_client.post(changelist, {**selected, "post": "yes", **shown})
    assert refused.status_code == 302
    assert "De maatregel is intussen gewijzigd; er is niets verwijderd. Eigenaar: nu ‘Jan’." in said(refused)
    assert Measure.objects.filter(pk__in=[measure.pk, other.pk]).count() == 2  # all or nothing
    fresh = hidden(admin_client.post(changelist, selected).content.decode())
    assert admin_client.post(changelist, {**selected, "post": "yes", **fresh}).status_code == 302
    assert not Measure.objects.filter(pk__in=[measure.pk, other.pk]).exists()
