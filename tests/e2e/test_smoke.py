"""Log in, open the dashboard, switch language; screenshots land in var/screenshots/."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")


def test_login_dashboard_and_language_switch(page, live_server, user_factory, screenshot):
    user_factory(role="admin", username="ayse", password="Gizli-sifre-1", first_name="Ayşe")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    screenshot("01-login")

    login(page, live_server, "ayse", "Gizli-sifre-1")
    assert page.locator("html").get_attribute("lang") == "tr"
    assert page.locator("h1").first.inner_text() == "Hoş geldiniz, Ayşe"
    assert page.locator(".sidebar").get_by_text("Siparişler").is_visible()
    screenshot("02-dashboard-tr")

    page.click("button.lang[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").first.inner_text() == "Welcome, Ayşe"
    assert page.locator(".sidebar").get_by_text("Orders").is_visible()
    screenshot("03-dashboard-en")


def test_user_list_filters_with_htmx_without_reloading(page, live_server, user_factory, screenshot):
    user_factory(role="admin", username="ayse", password="Gizli-sifre-1")
    user_factory(role="warehouse", username="depocu.emre")
    user_factory(role="finance", username="muhasebe.zeynep")
    login(page, live_server, "ayse", "Gizli-sifre-1")
    page.goto(f"{live_server.url}/users/")
    page.evaluate("window.__marker = 'same-page'")
    with page.expect_response(lambda r: "/users/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.fill("input[name=q]", "depo")
    page.wait_for_function("!document.querySelector('#results').innerText.includes('muhasebe')")
    assert page.evaluate("window.__marker") == "same-page"  # swapped in place, not reloaded
    assert "q=depo" in page.url  # the URL follows the filter
    assert "depocu.emre" in page.locator("#results").inner_text()
    screenshot("04-users-filtered")


def test_tablet_layout_hides_the_sidebar_behind_a_menu_button(browser, live_server, user_factory, screenshot):
    user_factory(role="warehouse", username="emre", password="Gizli-sifre-1")
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="tr-TR", has_touch=True)
    page = context.new_page()
    try:
        login(page, live_server, "emre", "Gizli-sifre-1")
        assert not page.locator(".sidebar").is_visible() or page.locator(".sidebar").bounding_box()["x"] < 0
        page.click(".menu-button")
        page.wait_for_timeout(300)
        assert page.locator(".sidebar").bounding_box()["x"] >= 0
        screenshot("05-tablet-menu", page)
    finally:
        context.close()
