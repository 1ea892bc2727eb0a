"""Logging in and out, changing and resetting a password (issue 5), in Dutch, with 8-hour sessions."""

import os
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail

from agenda.choices import Role
from agenda.models import College, Institution, Membership

PASSWORD = "kwaliteit2019"
NEW_PASSWORD = "Zomer-in-Almere-2021"


@pytest.fixture
def director(db):
    """Return a director of college 5100 in a small institution."""
    institution = Institution.objects.create(code="ROCX", name="ROC X")
    college = College.objects.create(institution=institution, code="5100", name="MBO College Zuidoost")
    user = get_user_model().objects.create_user("directeur5100", email="directeur@roc.example", password=PASSWORD)
    Membership.objects.create(user=user, institution=institution, role=Role.DIRECTOR).colleges.add(college)
    return user


def log_in(client, username="directeur5100", password=PASSWORD, **extra):
    """Post the login form."""
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def test_the_login_page_is_dutch_with_labelled_fields(client, db):
    """The form has labelled username and password fields and a reset link."""
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="nl">' in html
    assert '<label for="id_username">Gebruikersnaam</label>' in html
    assert '<label for="id_password">Wachtwoord</label>' in html
    assert 'href="/accounts/password_reset/"' in html


def test_logging_in_sends_a_director_to_the_own_college(client, director):
    """After login the front door redirects a director to their college overview."""
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == "/dashboard/college/5100/"


def test_login_returns_to_the_page_asked_for(client, director):
    """An anonymous visit to the grid goes to login and, after logging in, back to the grid."""
    response = client.get("/invoer/college/5100/")
    assert response["Location"] == "/accounts/login/?next=/invoer/college/5100/"
    assert log_in(client, next="/invoer/college/5100/")["Location"] == "/invoer/college/5100/"


def test_a_wrong_password_keeps_the_user_out_with_a_message(client, director):
    """A wrong password shows the form again with an alert and no session."""
    response = log_in(client, password="fout")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_session_lasts_eight_hours_and_ends_with_the_browser(client, director):
    """SESSION_COOKIE_AGE is 8 h and the cookie is a browser-session cookie (no expiry date)."""
    response = log_in(client)
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert client.session.get_expire_at_browser_close()
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_logout_is_a_post_and_ends_the_session(client, director):
    """GET does not log out (405); POST does and leads back to the login page."""
    log_in(client)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/invoer/college/5100/").status_code == 302


def test_the_header_logs_out_with_a_form_post(client, director):
    """The page header's logout is a POST form with a CSRF token, not a link."""
    log_in(client)
    html = client.get("/accounts/password_change/").content.decode()
    form = re.search(r'<form method="post" action="/accounts/logout/"[^>]*>(.*?)</form>', html, re.S)
    assert form and "csrfmiddlewaretoken" in form.group(1) and "Uitloggen" in form.group(1)


def test_changing_the_password(client, director):
    """The old password is needed; afterwards only the new one works."""
    log_in(client)
    wrong = client.post(
        "/accounts/password_change/",
        {"old_password": "fout", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and wrong.context["form"].errors
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == "/accounts/password_change/done/"
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in log_in(client, password=PASSWORD).wsgi_request.session
    assert log_in(client, password=NEW_PASSWORD).status_code == 302


def test_resetting_a_forgotten_password_by_mail(client, director):
    """The reset form sends one Dutch mail with a link; the link sets a new password that works."""
    response = client.post("/accounts/password_reset/", {"email": "directeur@roc.example"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["directeur@roc.example"]
    assert "nieuw wachtwoord" in message.body and "directeur5100" in message.body
    link = re.search(r"https?://[^/]+(/accounts/reset/[^/]+/[^/]+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    assert set_url.endswith("/set-password/")
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/reset/done/"
    assert log_in(client, password=NEW_PASSWORD).status_code == 302


def test_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, director):
    """The same 'done' page follows, but no mail is sent."""
    response = client.post("/accounts/password_reset/", {"email": "onbekend@roc.example"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


@pytest.mark.skipif(bool(os.environ.get("EMAIL_BACKEND")), reason="EMAIL_BACKEND set in the environment")
def test_mail_goes_to_the_console_by_default():
    """Without EMAIL_BACKEND the development setup prints mail to the console (tests swap in locmem)."""
    import kwaliteit.settings as configured

    assert configured.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
