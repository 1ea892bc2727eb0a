"""`api_token create|revoke|list`: tokens are handed out, rotated, listed without their keys, and revoked."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    """Run api_token and return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_a_working_key_and_is_idempotent(world):
    """create prints the key on stdout; a second create prints the same key; the key reads the API."""
    Token.objects.filter(user=world.users["bestuur"]).delete()
    key, _ = run("create", "bestuur")
    key = key.strip()
    assert Token.objects.get(user=world.users["bestuur"]).key == key
    assert run("create", "bestuur")[0].strip() == key
    client = world.client(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/colleges/").status_code == 200


def test_rotate_replaces_the_key(world):
    """create --rotate gives a new key; the old one gets 401."""
    old = world.tokens["beleid"]
    new = run("create", "beleid", "--rotate")[0].strip()
    assert new != old
    assert world.client("beleid").get("/api/v1/colleges/").status_code == 401
    world.tokens["beleid"] = new
    assert world.client("beleid").get("/api/v1/colleges/").status_code == 200
    world.tokens["beleid"] = old


def test_list_shows_roles_but_never_whole_keys(world):
    """list names each user with a token and their role, and only the first characters of the key."""
    out, _ = run("list")
    assert "directeur" in out and "TST:directeur" in out and "TST:api+schrijven" in out
    for key in world.tokens.values():
        assert key not in out
        assert key[:6] in out
    assert run("list", "bestuur")[0].count("\n") == 1


def test_revoke_makes_the_key_useless(world):
    """revoke deletes the token: the next request with it is 401; revoking again says there is none."""
    assert world.client("directeur").get("/api/v1/colleges/").status_code == 200
    out, _ = run("revoke", "directeur")
    assert "ingetrokken" in out
    assert world.client("directeur").get("/api/v1/colleges/").status_code == 401
    assert "geen token" in run("revoke", "directeur")[0]


def test_unknown_user_exits_1(world):
    """An unknown user name is an error with exit status 1."""
    with pytest.raises(CommandError, match="Onbekende gebruiker: niemand"):
        run("revoke", "niemand")


def test_warns_about_a_user_without_role(world):
    """A token for a user without a role is made, with a warning that the API will answer 403."""
    _, err = run("create", "nobody")
    assert "geen rol" in err
