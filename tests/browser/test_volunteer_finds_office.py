"""First browser path, on a phone: sign up as a volunteer, confirm the address, log in, find the nearest office."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.core.extensions import mail


def test_volunteer_signs_up_logs_in_and_finds_the_nearest_office(phone):
    page = phone
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    page.goto("/signup")
    page.locator("a.card-link[href='/signup/volunteer']").click()
    page.fill("#full_name", "Айдана Серікқызы")
    page.fill("#email", "aidana@example.kz")
    page.fill("#phone", "+7 701 555 44 33")
    page.fill("#password", "берег тихой реки 2026")
    page.fill("#confirm", "берег тихой реки 2026")
    page.check("#accept_terms")
    with mail.record_messages() as letters:  # the live server runs in this process
        page.locator("form.form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/signup/sent$"))
    expect(page.locator("h1")).to_have_text("Проверьте почту")
    expect(page.locator("main")).to_contain_text("aidana@example.kz")

    [letter] = letters
    link = re.search(r"https?://\S+/signup/confirm/\S+", letter.body).group(0)
    page.goto("/" + link.split("/", 3)[3])  # PUBLIC_URL names the real site; the test's server has its own port
    page.fill("#password", "берег тихой реки 2026")
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("h1")).to_contain_text("Айдана")

    page.locator(".site-header .menu-button").click()  # on a phone, log-out is in the header's menu
    page.locator(".site-header form[action='/logout'] button").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/login")
    page.fill("#email", "AIDANA@example.kz")
    page.fill("#password", "берег тихой реки 2026")
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.goto("/offices/")
    page.fill("#near", "Талгар")
    page.locator("form[role=search] button[type=submit]").first.click()
    first = page.locator(".office-list li.office").first
    expect(first).to_contain_text("Талгар")
    expect(first.locator(".distance")).to_have_text(re.compile(r"\d"))
    # The list is usable although the map tiles cannot load offline.
    expect(page.locator(".office-list li.office")).to_have_count(10)
