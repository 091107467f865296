"""A second view of the catalogue fetches no static bytes: its CSS, JavaScript and icon carry hashed names kept for a
year (core/static_files.py), so chromium takes them from its cache without asking the server. The first view
gets them compressed.

The phones fixture cannot be used here: Playwright's request routing, which keeps it offline, switches
chromium's HTTP cache off. This page's own context blocks every https address through the DevTools protocol
instead (the only other host a page may name is the map tiles'), and checks that nothing but the live server
was asked.
"""
from __future__ import annotations

from tests.browser.conftest import PHONE


class StaticTraffic:
    """What one navigation asked of /static/, from chromium's network events."""

    def __init__(self, cdp, base: str):
        self.base = base
        self.urls: dict[str, str] = {}
        self.from_cache: set[str] = set()
        self.responses: dict[str, dict] = {}
        self.wire_bytes: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.requestServedFromCache", lambda e: self.from_cache.add(e["requestId"]))
        cdp.on("Network.responseReceived", lambda e: self.responses.__setitem__(e["requestId"], e["response"]))
        cdp.on("Network.loadingFinished",
               lambda e: self.wire_bytes.__setitem__(e["requestId"], int(e["encodedDataLength"])))

    def reset(self) -> None:
        for seen in (self.urls, self.from_cache, self.responses, self.wire_bytes):
            seen.clear()

    def static_ids(self) -> list[str]:
        return [rid for rid, url in self.urls.items() if url.startswith(f"{self.base}/static/")]

    def fetched(self) -> list[str]:
        """Static files the server sent: answered 200 over the network, not from the memory or disk cache."""
        return [self.urls[rid] for rid in self.static_ids()
                if rid not in self.from_cache and rid in self.responses
                and not self.responses[rid].get("fromDiskCache") and self.responses[rid]["status"] == 200]

    def bytes_over_the_wire(self) -> int:
        return sum(self.wire_bytes.get(rid, 0) for rid in self.static_ids())


def test_a_second_view_of_the_catalogue_fetches_no_static_bytes(browser, live_server):
    context = browser.new_context(**PHONE, locale="ru-RU", base_url=live_server)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setBlockedURLs", {"urls": ["https://*"]})
        traffic = StaticTraffic(cdp, live_server)

        page.goto("/needs/", wait_until="networkidle")
        first = traffic.fetched()
        assert {url.rsplit("/", 1)[1].split(".")[0] for url in first} >= {"site", "page-parts", "catalogue-map"}
        assert traffic.bytes_over_the_wire() > 0
        for rid in traffic.static_ids():
            response = traffic.responses[rid]
            headers = {name.lower(): value for name, value in response["headers"].items()}
            assert headers["cache-control"] == "public, max-age=31536000, immutable", response["url"]
            if response["mimeType"] in ("text/css", "text/javascript", "application/javascript"):
                assert headers.get("content-encoding") == "br", response["url"]
        assert all(url.startswith(live_server) for url in traffic.urls.values()), traffic.urls.values()

        traffic.reset()
        page.goto("/needs/", wait_until="networkidle")
        assert traffic.static_ids(), "the second view named no static file"
        assert traffic.fetched() == []
        assert traffic.bytes_over_the_wire() == 0
        # ...and the page is still styled and scripted from what the cache gave.
        assert page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).display") != "inline"
        assert page.evaluate("() => document.styleSheets.length") >= 1
    finally:
        context.close()
