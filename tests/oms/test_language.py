"""Turkish by default, English on request; the choice sticks to the user."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_panel_is_turkish_by_default(admin_client):
    html = admin_client.get(reverse("dashboard")).content.decode()
    assert '<html lang="tr">' in html
    assert "Gösterge paneli" in html
    assert "Siparişler" in html


@pytest.mark.django_db
def test_switching_to_english_sets_cookie_and_remembers_it_on_the_user(admin_client, admin_user):
    response = admin_client.post(reverse("set_language"), {"language": "en", "next": "/users/"})
    assert response.status_code == 302
    assert response["Location"] == "/users/"
    assert response.cookies["django_language"].value == "en"
    admin_user.refresh_from_db()
    assert admin_user.language == "en"
    html = admin_client.get(reverse("dashboard")).content.decode()
    assert '<html lang="en">' in html
    assert "Dashboard" in html


@pytest.mark.django_db
def test_saved_language_applies_on_a_new_session_without_cookie(client, user_factory):
    person = user_factory(role="operator", language="en")
    client.force_login(person)
    assert '<html lang="en">' in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_unknown_language_is_ignored(admin_client, admin_user):
    admin_client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    admin_user.refresh_from_db()
    assert admin_user.language == "tr"


@pytest.mark.django_db
def test_role_names_are_translated(admin_client, user_factory):
    user_factory(role="customer_service", username="destek")
    html = admin_client.get(reverse("users"), {"q": "destek"}).content.decode()
    assert "Müşteri hizmetleri" in html


def test_turkish_catalogue_is_complete_and_compiled():
    """Every msgid has a Turkish msgstr, nothing is fuzzy, and the committed .mo is compiled from it."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "locale" / "tr" / "LC_MESSAGES"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "-", str(root / "django.po")],
        capture_output=True,
        check=True,
    )
    assert "untranslated" not in result.stderr.decode()
    assert "fuzzy" not in result.stderr.decode()
    assert result.stdout == (root / "django.mo").read_bytes(), "run `make messages` and commit the .mo"
