"""Browser harness: the app served on a loopback port, driven by Playwright in Debian's chromium."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import drop_database, fresh_database, make_app
from tests.stripe_fake import FakeStripe

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Debian's chromium is not installed (apt-get install chromium); browser tests need it"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


WEBHOOK_SECRET = "whsec_browser_tests"
STRIPE: dict = {}  # the fake Stripe of the running live server, for tests that look at its events


@pytest.fixture(scope="session")
def live_server():
    """The real app with CSRF on and the demo data, on a free loopback port, in a thread."""
    from marketplace.demo.seed import seed_demo

    url = fresh_database("browser")
    # Card payments go to the fake Stripe on loopback, which signs its webhooks and posts them back here.
    stripe_server = FakeStripe(webhook_secret=WEBHOOK_SECRET).start()
    app = make_app(url, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False, STRIPE_SECRET_KEY=stripe_server.api_key,
                   STRIPE_API_BASE=stripe_server.url, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    with app.app_context():
        seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base  # links in letters and Stripe's return addresses name this server
    stripe_server.webhook_url = f"{base}/payments/stripe/webhook"
    STRIPE["server"] = stripe_server
    STRIPE["app"] = app  # the live server's app, for a test that turns card payments off for a while
    try:
        yield base
    finally:
        stripe_server.stop()
        server.shutdown()
        thread.join(timeout=5)
        from marketplace.core.extensions import db

        with app.app_context():
            db.engine.dispose()
        drop_database(url)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


def _offline(route) -> None:
    """Nothing leaves the machine: requests to other hosts (map tiles) fail as they would offline."""
    if route.request.url.startswith("http://127.0.0.1"):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def phones(browser, live_server, request):
    """Opens phone-sized pages, one browser profile each (Russian by default, no internet)."""
    opened: list[tuple[str, object, object, list[str]]] = []

    def open_phone(who: str = "phone", locale: str = "ru-RU"):
        context = browser.new_context(**PHONE, locale=locale, base_url=live_server)
        context.route("**/*", _offline)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        opened.append((who, context, page, errors))
        return page

    yield open_phone
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for who, context, page, errors in opened:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{who}.png"), full_page=True)
        context.close()
        problems += [f"{who}: {e}" for e in errors]
    assert problems == [], f"JavaScript errors on the page: {problems}"


@pytest.fixture
def phone(phones):
    """A page on a phone-sized screen, Russian by default, with no internet."""
    return phones()


def log_in(page, email: str, password: str) -> None:
    """Log in through the real form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form.form button[type=submit]").click()


def choose_language(page, code: str) -> None:
    """Through the header's menu, as a person would (for a logged-in user this saves the account's language)."""
    from playwright.sync_api import expect

    page.locator(".menu-button").click()
    page.locator(f".lang-switch button[lang='{code}']").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def axe_violations(page, *, impacts=("serious", "critical"), context=None) -> list[str]:
    """axe-core's violations on the page as it is now, of these impacts, as "rule: target" lines (`context`:
    axe's include/exclude, e.g. {"exclude": [[".table-wrap"]]})."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [f"{v['id']} ({v['impact']}): {node['target']}" for v in results.response["violations"]
            if v["impact"] in impacts for node in v["nodes"]]


@pytest.fixture
def no_script_phone(browser, live_server):
    """A phone with JavaScript off, Russian."""
    context = browser.new_context(**PHONE, locale="ru-RU", base_url=live_server, java_script_enabled=False)
    context.route("**/*", _offline)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
