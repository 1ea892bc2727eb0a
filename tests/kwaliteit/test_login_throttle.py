"""One login throttle for the site and the admin, per user and address, without the cache (issue 13).

The probe's rows: `/admin/login/` had no throttle; one address locked everyone out; no logins
while Redis was down; password-reset mails were not throttled.
"""

import re
import shutil
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.db.models import F
from django.test import RequestFactory

from kwaliteit.views import client_address
from tests.conftest import require_service
from tests.services import redis_server

PASSWORD = "juist-wachtwoord"
SITE = "/accounts/login/"
ADMIN = "/admin/login/"
DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def users(db):
    """Return `beleid` (staff, so the admin lets them in) and `bestuur`, with e-mail addresses."""
    User = get_user_model()
    return {
        "beleid": User.objects.create_user("beleid", email="beleid@roc.example", password=PASSWORD, is_staff=True),
        "bestuur": User.objects.create_user("bestuur", email="bestuur@roc.example", password=PASSWORD, is_staff=True),
    }


def log_in(client, path=SITE, username="beleid", password=PASSWORD, **extra):
    """Post a login form (the site's or the admin's) and return the response."""
    return client.post(path, {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    """Return whether the client's session holds a signed-in user."""
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_on_the_admin_login_then_the_right_one_is_refused(client, users):
    """The probe: 30 wrong passwords on /admin/login/ all answered 200; now the right one after them gets 429."""
    statuses = [log_in(client, ADMIN, password=f"fout{i}").status_code for i in range(30)]
    assert statuses[:4] == [200] * 4  # the admin form again, with its error
    assert set(statuses[4:]) == {429}  # from the fifth failure on
    response = log_in(client, ADMIN)
    assert response.status_code == 429
    assert not logged_in(client)
    assert "Inloggen tijdelijk geblokkeerd" in response.content.decode()


def test_the_lockout_page_is_dutch_in_the_site_layout_and_says_when_to_retry(client, users, settings):
    """429 inside base.html, with the time to retry in the page and in Retry-After."""
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    for _ in range(5):
        response = log_in(client, password="fout")
    html = response.content.decode()
    assert response.status_code == 429
    assert '<html lang="nl">' in html and 'class="site-header"' in html
    assert re.search(r"U kunt het om <strong>\d\d:\d\d uur</strong> opnieuw proberen \(over 15 minuten\)", html)
    assert response["Retry-After"] == "900"


def test_the_site_and_the_admin_share_one_count(client, users):
    """Three failures on the site and two on the admin lock both forms."""
    for _ in range(3):
        assert log_in(client, SITE, password="fout").status_code == 200
    assert log_in(client, ADMIN, password="fout").status_code == 200
    assert log_in(client, ADMIN, password="fout").status_code == 429
    assert log_in(client, SITE).status_code == 429
    assert log_in(client, ADMIN).status_code == 429
    assert not logged_in(client)


def test_failures_for_one_user_do_not_lock_another_from_the_same_address(client, users, django_user_model):
    """The probe: failures for `beleid` locked `bestuur` and the directors out from one address (a school NAT)."""
    django_user_model.objects.create_user("directeur5100", password=PASSWORD)
    for _ in range(10):
        log_in(client, username="beleid", password="fout")
    assert log_in(client, username="beleid").status_code == 429
    for name in ("bestuur", "directeur5100"):
        response = log_in(client, username=name)
        assert response.status_code == 302, name
        assert logged_in(client)
        client.post("/accounts/logout/")


def test_a_locked_user_still_logs_in_from_another_address(client, users):
    """The lockout is for user and address together: the real `beleid` elsewhere is not locked out by a guesser."""
    for _ in range(5):
        log_in(client, password="fout", REMOTE_ADDR="198.51.100.23")
    assert log_in(client, REMOTE_ADDR="198.51.100.23").status_code == 429
    assert log_in(client, REMOTE_ADDR="192.0.2.10").status_code == 302


def test_a_success_before_the_limit_clears_the_count(client, users):
    """Four typos, the right password, four typos again: still no lockout."""
    for _ in range(4):
        log_in(client, password="typo")
    assert log_in(client).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert log_in(client, password="typo").status_code == 200
    assert log_in(client).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, users, settings):
    """When the cool-off has passed since the last attempt, the right password works again."""
    for _ in range(5):
        log_in(client, password="fout")
    assert log_in(client).status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert log_in(client).status_code == 302


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, users, settings):
    """Without TRUSTED_PROXY_COUNT a client cannot dodge the lockout by writing a new X-Forwarded-For each time."""
    settings.TRUSTED_PROXY_COUNT = 0
    for i in range(5):
        log_in(client, password="fout", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert log_in(client, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(client, users, settings):
    """Behind one proxy (REMOTE_ADDR is the proxy) each client counts apart, and a forged prefix changes nothing."""
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(5):
        # The client wrote the left part itself; the proxy appended the address it saw.
        log_in(client, password="fout", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 203.0.113.7")
    assert log_in(client, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    # Someone else behind the same proxy (same REMOTE_ADDR) logs in as the same user.
    assert log_in(client, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "remote", "expected"),
    [
        (0, None, "192.0.2.1", "192.0.2.1"),
        (0, "203.0.113.5", "192.0.2.1", "192.0.2.1"),  # no trusted proxy: the header is not read
        (1, "203.0.113.5", "10.0.0.2", "203.0.113.5"),
        (1, "1.2.3.4, 203.0.113.5", "10.0.0.2", "203.0.113.5"),  # a forged prefix is ignored
        (1, "10.1.2.3", "127.0.0.1", "10.1.2.3"),  # a private client behind a loopback proxy
        (2, "203.0.113.5, 10.0.0.9", "10.0.0.2", "203.0.113.5"),  # load balancer, then nginx
        (2, "203.0.113.5", "10.0.0.2", "10.0.0.2"),  # too few hops: not through both proxies
        (1, None, "10.0.0.2", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2", "10.0.0.2"),
        (1, "2001:db8::1", "10.0.0.2", "2001:db8::1"),
    ],
)
def test_the_client_address(settings, proxies, forwarded_for, remote, expected):
    """The address the throttle and the reset limit count under."""
    settings.TRUSTED_PROXY_COUNT = proxies
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    assert client_address(RequestFactory().post("/accounts/login/", **extra)) == expected


def test_logins_work_with_the_cache_on_a_dead_redis(client, users, settings):
    """The probe: with Redis down every login gave 500. Now the site and the admin log in, and the throttle still counts."""
    settings.CACHES = DEAD_REDIS
    with pytest.raises(Exception):  # noqa: B017 - the cache really is unreachable
        cache.get("any")
    response = log_in(client, SITE)
    assert response.status_code == 302 and logged_in(client)
    assert client.get("/accounts/password_change/").status_code == 200  # the session is read back
    client.post("/accounts/logout/")
    assert log_in(client, ADMIN).status_code == 302 and logged_in(client)
    client.post("/accounts/logout/")
    for _ in range(5):
        log_in(client, password="fout")
    assert log_in(client).status_code == 429


def test_logins_go_on_when_a_real_redis_stops(client, users, settings):
    """Start redis-server as the cache, stop it: the next login still succeeds (the probe's fault test)."""
    require_service(shutil.which("redis-server") is not None, "redis-server not installed")
    with redis_server() as redis:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis["url"]}
        }
        cache.set("alive", 1)
        assert cache.get("alive") == 1
        assert log_in(client).status_code == 302
        client.post("/accounts/logout/")
        redis["process"].terminate()
        redis["process"].wait(timeout=30)
    assert log_in(client).status_code == 302 and logged_in(client)


# Password-reset mails (the probe: not throttled).


def ask_reset(client, email, address="127.0.0.1"):
    """Post the reset form and return the response."""
    return client.post("/accounts/password_reset/", {"email": email}, REMOTE_ADDR=address)


def test_reset_mails_beyond_the_limit_are_not_sent(client, users, settings):
    """Three mails an hour to one mailbox; the fourth request gets the same page and no mail."""
    settings.PASSWORD_RESET_MAX_PER_HOUR = 3
    for _ in range(5):
        response = ask_reset(client, "beleid@roc.example")
        assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 3


def test_the_mailbox_limit_holds_across_addresses(client, users, settings):
    """A flood of one mailbox from many addresses still sends three mails."""
    settings.PASSWORD_RESET_MAX_PER_HOUR = 3
    for i in range(6):
        ask_reset(client, "bestuur@roc.example", address=f"192.0.2.{i}")
    assert len(mail.outbox) == 3


def test_one_address_cannot_mail_a_list(client, users, settings):
    """From one address at most three requests an hour go through, whatever the e-mail addresses."""
    settings.PASSWORD_RESET_MAX_PER_HOUR = 3
    for email in ("a@roc.example", "b@roc.example", "c@roc.example", "beleid@roc.example", "bestuur@roc.example"):
        ask_reset(client, email, address="198.51.100.4")
    assert mail.outbox == []  # the three unknown ones used the budget: unknown addresses count too
    ask_reset(client, "beleid@roc.example", address="198.51.100.5")
    assert [m.to for m in mail.outbox] == [["beleid@roc.example"]]


def test_the_reset_limit_ends_after_an_hour(client, users, settings):
    """Requests older than an hour no longer count."""
    from kwaliteit.models import PasswordResetRequest

    settings.PASSWORD_RESET_MAX_PER_HOUR = 3
    for _ in range(4):
        ask_reset(client, "beleid@roc.example")
    assert len(mail.outbox) == 3
    PasswordResetRequest.objects.update(requested_at=F("requested_at") - timedelta(hours=1, seconds=1))
    ask_reset(client, "beleid@roc.example")
    assert len(mail.outbox) == 4
    assert PasswordResetRequest.objects.count() == 1  # the old rows are gone


def test_the_reset_limit_does_not_reveal_accounts(client, users, settings):
    """Over the limit, a known and an unknown address get the same answer as a sent mail."""
    settings.PASSWORD_RESET_MAX_PER_HOUR = 1
    first = ask_reset(client, "beleid@roc.example", address="192.0.2.1")
    known = ask_reset(client, "beleid@roc.example", address="192.0.2.2")
    unknown = ask_reset(client, "niemand@roc.example", address="192.0.2.1")
    assert [(r.status_code, r["Location"]) for r in (first, known, unknown)] == [
        (302, "/accounts/password_reset/done/")
    ] * 3
    assert len(mail.outbox) == 1


def test_reset_mails_are_counted_without_the_cache(client, users, settings):
    """The limit is kept in the database: a dead Redis neither breaks the form nor lifts the limit."""
    settings.CACHES = DEAD_REDIS
    settings.PASSWORD_RESET_MAX_PER_HOUR = 2
    for _ in range(3):
        assert ask_reset(client, "beleid@roc.example").status_code == 302
    assert len(mail.outbox) == 2
