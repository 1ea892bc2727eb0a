"""No lost updates on the policy page Budgetaandelen: a save from an older preview does not replace a newer revision.

invoer.policy_views saves "exactly the previewed revision, unless the agenda or the values changed
in between" through rapportage.whatif.revision_confirm, whose fingerprint covers the verdicts and
the budgets of the years with a budget row, and the target's state (only the factors page gives one).
A share revision from a year without a budget row (yet) shows in neither: of two policy staff who
previewed T1's share from 2021, the second "Opslaan" replaces the first's revision
(agenda.services.theme_share_revise: a second revision from the same year replaces the first) with
200/302 and no word, and the 2021 budget, once its row is added, is split with the second share.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agenda.choices import Role
from agenda.models import Membership, ThemeShareRevision
from agenda.services import agenda_load
from tests.api.conftest import agenda_spec
from tests.invoer.policy_flow import preview

pytestmark = pytest.mark.django_db
SHARES = "/beleid/budgetaandelen/"


def _policy_client(institution, name: str) -> Client:
    user = get_user_model().objects.create_user(username=name, password="geheim-s37b-2021")
    Membership.objects.create(user=user, institution=institution, role=Role.POLICY)
    client = Client()
    client.force_login(user)
    return client


def _post(share: str, reason: str) -> dict:
    return {"theme": "T1", "from_year": "2021", "budget_share_pct": share, "reason": reason}


def test_a_share_saved_from_an_older_preview_does_not_replace_a_newer_revision():
    """A previews 55 %, B previews and saves 65 %, A saves its preview: refused (409), B's 65 % stays."""
    institution = agenda_load(data=agenda_spec("SSH", ["SSH1", "SSH2"])).institution  # a budget row for 2020 only
    first, second = _policy_client(institution, "ssh_beleid_a"), _policy_client(institution, "ssh_beleid_b")
    shown_a = preview(first, SHARES, _post("55", "herijking volgens besluit A"))
    assert shown_a.status_code == 200
    shown_b = preview(second, SHARES, _post("65", "herijking volgens besluit B"))
    saved_b = second.post(
        SHARES,
        {
            **_post("65", "herijking volgens besluit B"),
            "save": "1",
            "fingerprint": shown_b.context["effects"].fingerprint,
        },
    )
    assert saved_b.status_code == 302

    saved_a = first.post(
        SHARES,
        {
            **_post("55", "herijking volgens besluit A"),
            "save": "1",
            "fingerprint": shown_a.context["effects"].fingerprint,
        },
    )
    stored = ThemeShareRevision.objects.get(theme__institution=institution, from_year=2021)
    assert (saved_a.status_code, stored.budget_share_pct) == (409, 65), (
        f"status {saved_a.status_code}: the preview shown before B's save replaced B's 65 % with "
        f"{stored.budget_share_pct} % without naming it"
    )


def test_a_baseline_saved_from_an_older_preview_does_not_replace_a_newer_revision():
    """Held (a guard, passes): on Nulmetingen the reference shows in the verdicts. A previews vsv's baseline 6,1 from 2021, B saves 6,4, A saves: 409, B's 6,4 stays."""
    from agenda.models import BaselineRevision

    institution = agenda_load(data=agenda_spec("SSB", ["SSB1", "SSB2"])).institution  # no values yet
    first, second = _policy_client(institution, "ssb_beleid_a"), _policy_client(institution, "ssb_beleid_b")

    def post(value, reason):
        return {
            "indicator": "vsv",
            "from_year": "2021",
            "baseline_year": "2018",
            "baseline_value": value,
            "reason": reason,
        }

    url = "/beleid/nulmetingen/"
    shown_a = preview(first, url, post("6,1", "besluit A"))
    shown_b = preview(second, url, post("6,4", "besluit B"))
    assert (
        second.post(
            url, {**post("6,4", "besluit B"), "save": "1", "fingerprint": shown_b.context["effects"].fingerprint}
        ).status_code
        == 302
    )
    saved_a = first.post(
        url, {**post("6,1", "besluit A"), "save": "1", "fingerprint": shown_a.context["effects"].fingerprint}
    )
    stored = BaselineRevision.objects.get(indicator__institution=institution, from_year=2021)
    assert (saved_a.status_code, stored.baseline_value) == (409, Decimal("6.4")), (
        f"status {saved_a.status_code}: the preview shown before B's save replaced B's 6,4 with "
        f"{stored.baseline_value} without naming it"
    )
