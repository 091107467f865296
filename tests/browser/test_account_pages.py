"""The account screens of issue 12 on a phone, in Russian and Kazakh, checked with axe-core: sign-up to "check
your e-mail", the link's page that asks for the password, log-in, and the account page with the new e-mail
form. Then a volunteer's change of address goes through to the end."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.core.extensions import mail
from tests.browser.conftest import axe_violations, log_in

DEMO_PASSWORD = "demo-window-2026"
PASSWORD = "ақ бұлт пен көк аспан 2026"


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


@pytest.mark.parametrize("locale, headline", [("ru-RU", "Проверьте почту"), ("kk-KZ", "Поштаңызды тексеріңіз")])
def test_sign_up_screens_on_a_phone(phones, locale, headline):
    page = phones(locale=locale)
    email = f"new.family.{locale[:2]}@example.kz"
    page.goto("/signup/family")
    assert axe_violations(page) == []
    page.fill("#full_name", "Гүлнар Оспанова")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.check("#accept_terms")
    with mail.record_messages() as letters:
        page.locator("form.form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/signup/sent$"))
    expect(page.locator("h1")).to_have_text(headline)
    expect(page.locator("main")).to_contain_text(email)
    assert axe_violations(page) == []

    [letter] = letters
    page.goto(path_of(re.search(r"https?://\S+/signup/confirm/\S+", letter.body).group(0)))
    page.fill("#password", "не тот пароль вовсе")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".field-error, .error-summary").first).to_be_visible()
    assert axe_violations(page) == []
    page.fill("#password", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("h1")).to_contain_text("Гүлнар")


@pytest.mark.parametrize("locale", ["ru-RU", "kk-KZ"])
def test_account_page_and_a_change_of_address_on_a_phone(phones, locale):
    page = phones(locale=locale)
    email = f"volunteer{3 if locale == 'ru-RU' else 5}@demo.social-window.kz"
    log_in(page, email, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto("/account/tokens")
    page.fill("#name", "Телефон")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("[data-token]")).to_be_visible()
    assert axe_violations(page, impacts=("minor", "moderate", "serious", "critical")) == []
    page.goto("/account")
    assert axe_violations(page) == []
    page.fill("#change_email-email", f"moved.{locale[:2]}@example.kz")
    page.fill("#change_email-current_password", DEMO_PASSWORD)
    with mail.record_messages() as letters:
        page.locator("form[action='/account/email'] button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator(".flash, [role=status]").first).to_contain_text(f"moved.{locale[:2]}@example.kz")
    assert [m.recipients for m in letters] == [[f"moved.{locale[:2]}@example.kz"], [email]]
    page.goto(path_of(re.search(r"https?://\S+/account/email/confirm/\S+", letters[0].body).group(0)))
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("main")).to_contain_text(f"moved.{locale[:2]}@example.kz")
    assert axe_violations(page) == []
