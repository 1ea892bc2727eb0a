"""A small two-institution world for the API tests: every role, rows in every college, tokens."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.choices import Level, Role
from agenda.models import College, Indicator, Institution, Membership, Team, Theme
from agenda.services import agenda_load
from indicatoren.models import Measurement
from maatregelen.models import Evidence, EvidenceKind, Measure, MeasureCategory
from tests.conftest import SharedData, register_shared_data


def agenda_spec(code: str, colleges: list[str]) -> dict:
    """Return a small agenda file (contracts.md section 1): colleges with two teams each, two themes."""
    return {
        "institution": {"code": code, "name": f"Instelling {code}"},
        "period": {"start": 2019, "end": 2022},
        "colleges": [
            {
                "code": college,
                "name": f"College {college}",
                "teams": [{"code": f"{college}-T{i}", "name": f"Team {i} van {college}"} for i in (1, 2)],
            }
            for college in colleges
        ],
        "themes": [
            {
                "code": "T1",
                "name": "Kwetsbare jongeren",
                "national": True,
                "budget_share_pct": 60,
                "indicators": [
                    {
                        "code": "vsv",
                        "name": "Voortijdig schoolverlaten",
                        "unit": "percent",
                        "polarity": "lower",
                        "levels": ["team", "college", "institution"],
                        "baseline": {"year": 2017, "value": 6.7},
                        "ambitions": [{"year": 2020, "type": "maintain", "tolerance": 0.5}],
                    }
                ],
            },
            {
                "code": "T2",
                "name": "Kwalificatiewinst",
                "budget_share_pct": 40,
                "indicators": [
                    {
                        "code": "kw",
                        "name": "Kwalificatiewinst",
                        "unit": "percent",
                        "polarity": "higher",
                        "levels": ["institution"],
                        "baseline": {"year": 2017, "value": 50},
                        "ambitions": [{"year": 2020, "type": "improve"}],
                    }
                ],
            },
        ],
        "budget": [{"year": 2020, "total_eur": 1000000, "result_dependent_pct": 25}],
    }


@dataclass
class World:
    """The institution under test (TST, colleges A100 and B200), a foreign one (OTH) and a user per role."""

    inst: Institution
    other: Institution
    users: dict
    tokens: dict

    def college(self, code: str) -> College:
        """Return a college of TST or OTH by code."""
        return College.objects.get(code=code)

    def client(self, username: str | None) -> APIClient:
        """Return an API client with the user's token (None: anonymous)."""
        client = APIClient()
        if username:
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[username]}")
        return client


def _seed_rows(inst: Institution) -> None:
    """Add, in every college, a team value and a college value, plus an institution value, measures and evidence."""
    vsv = Indicator.objects.get(institution=inst, code="vsv")
    theme = Theme.objects.get(institution=inst, code="T1")
    Measurement.objects.create(indicator=vsv, year=2017, level=Level.INSTITUTION, value=Decimal("6.7"))
    # 2018: after the baseline year, so directors may correct it (2017 is policy staff's only, issue 12).
    Measurement.objects.create(indicator=vsv, year=2018, level=Level.INSTITUTION, value=Decimal("6.7"))
    for college in College.objects.filter(institution=inst):
        team = Team.objects.get(code=f"{college.code}-T1")
        Measurement.objects.create(
            indicator=vsv, year=2017, level=Level.TEAM, college=college, team=team, value=Decimal("6.5"), n=40
        )
        Measurement.objects.create(
            indicator=vsv, year=2018, level=Level.TEAM, college=college, team=team, value=Decimal("6.5"), n=40
        )
        Measurement.objects.create(indicator=vsv, year=2017, level=Level.COLLEGE, college=college, value=Decimal("6.6"))
        Measure.objects.create(
            institution=inst, theme=theme, college=college, title=f"Coaching {college.code}", category="begeleiding"
        )
        Evidence.objects.create(
            institution=inst,
            theme=theme,
            college=college,
            year=2020,
            kind=EvidenceKind.STORY,
            title=f"Verhaal {college.code}",
        )
    Measure.objects.create(
        institution=inst, theme=theme, title="ROC-breed programma", category=MeasureCategory.PROGRAMME
    )
    Evidence.objects.create(institution=inst, theme=theme, year=2020, kind=EvidenceKind.AUDIT, title="Audit ROC-breed")


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Keep uploaded files of the tests out of the project's var/uploads."""
    settings.MEDIA_ROOT = tmp_path / "uploads"


# Every user of the world: one per role (see build_world), then one without any.
USERNAMES = [
    "bestuur",
    "directeur",
    "beleid",
    "api_read",
    "api_college",
    "api_all",
    "api_college_readonly",
    "oth_beleid",
    "nobody",
]


def build_world() -> World:
    """Load TST and OTH with rows everywhere and one token per role."""
    inst = agenda_load(data=agenda_spec("TST", ["A100", "B200"])).institution
    other = agenda_load(data=agenda_spec("OTH", ["Z900"])).institution
    _seed_rows(inst)
    _seed_rows(other)
    User = get_user_model()
    a100 = College.objects.get(institution=inst, code="A100")
    roles = {
        "bestuur": (inst, Role.BOARD, [], False),
        "directeur": (inst, Role.DIRECTOR, [a100], False),
        "beleid": (inst, Role.POLICY, [], False),
        "api_read": (inst, Role.API, [], False),
        "api_college": (inst, Role.API, [a100], True),
        "api_all": (inst, Role.API, [], True),
        "api_college_readonly": (inst, Role.API, [a100], False),
        "oth_beleid": (other, Role.POLICY, [], False),
    }
    users, tokens = {}, {}
    for username, (institution, role, colleges, api_write) in roles.items():
        user = User.objects.create_user(username=username, password="x")
        membership = Membership.objects.create(user=user, institution=institution, role=role, api_write=api_write)
        membership.colleges.set(colleges)
        users[username] = user
        tokens[username] = Token.objects.create(user=user).key
    users["nobody"] = User.objects.create_user(username="nobody", password="x")
    tokens["nobody"] = Token.objects.create(user=users["nobody"]).key
    assert list(users) == USERNAMES
    return World(inst=inst, other=other, users=users, tokens=tokens)


def current_world() -> World:
    """Return the world the database holds, as fresh objects (no test sees another's changes to them)."""
    users = {user.username: user for user in get_user_model().objects.filter(username__in=USERNAMES)}
    tokens = dict(Token.objects.filter(user__username__in=USERNAMES).values_list("user__username", "key"))
    return World(
        inst=Institution.objects.get(code="TST"), other=Institution.objects.get(code="OTH"), users=users, tokens=tokens
    )


WORLD = register_shared_data(
    SharedData("world", load=build_world, present=lambda: Institution.objects.filter(code="TST").exists())
)


@pytest.fixture(scope="session")
def _world_session(request, django_db_setup, django_db_blocker):
    """Build the world once for the session (again only after a flush removed it); remove it at the end."""
    yield from WORLD.session(request, django_db_blocker)


@pytest.fixture
def world(_world_session, db) -> World:
    """The small world, built once per session; each test runs in a transaction that is rolled back."""
    WORLD.for_test()
    return current_world()
