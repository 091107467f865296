"""What a page weighs on the wire: its HTML plain, gzip and brotli, its static files, and a first and a second view.

    .venv/bin/python bench/browser_page_weight.py [--path /needs/] [--locale ru-RU]

Serves the app with the demo data (`flask seed-demo`) on a loopback port. Prints the page's HTML in bytes as sent
plain, with gzip and with brotli; each static file the page names, plain and as sent compressed; the headers of
the stylesheet's answer; then opens the page twice in Debian's chromium (360×740, every https address blocked,
the HTTP cache on) and prints, for each view, how many static files came from the server and how many bytes the
browser received for them (headers and bodies, as it counts them).
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from werkzeug.serving import make_server  # noqa: E402

from marketplace import create_app  # noqa: E402

STATIC_URL = re.compile(r'(?:src|href|data-[a-z-]+)="(/static/[^"]+)"')


def demo_app():
    from flask_migrate import upgrade

    from marketplace.demo.seed import seed_demo

    folder = Path(tempfile.mkdtemp(prefix="sw-bench-weight-"))
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.sqlite3'}",
                     UPLOAD_FOLDER=str(folder / "uploads"), RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        seed_demo()
    return app


def sizes(client, url: str, locale: str) -> dict[str, int]:
    """Bytes of the body as sent for each Accept-Encoding."""
    result = {}
    for name, accept in (("plain", "identity"), ("gzip", "gzip"), ("br", "br")):
        response = client.get(url, headers={"Accept-Encoding": accept, "Accept-Language": locale[:2]})
        result[name] = len(response.data)
    return result


def two_views(base: str, path: str, locale: str) -> list[tuple[int, int, int]]:
    """(static files named, fetched from the server, bytes received for them) for a first and a second view."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    views = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                      device_scale_factor=2, locale=locale, base_url=base)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setBlockedURLs", {"urls": ["https://*"]})  # no routing: it would switch the cache off
        urls, cached, status, wire = {}, set(), {}, {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
        cdp.on("Network.responseReceived", lambda e: status.__setitem__(
            e["requestId"], (e["response"]["status"], e["response"].get("fromDiskCache", False))))
        cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        for _view in range(2):
            for seen in (urls, cached, status, wire):
                seen.clear()
            page.goto(path, wait_until="networkidle")
            ids = [rid for rid, url in urls.items() if "/static/" in url]
            fetched = [rid for rid in ids if rid not in cached and status.get(rid, (0, True)) == (200, False)]
            views.append((len(ids), len(fetched), sum(wire.get(rid, 0) for rid in ids)))
        browser.close()
    return views


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", default="/needs/")
    parser.add_argument("--locale", default="ru-RU")
    args = parser.parse_args()
    app = demo_app()
    client = app.test_client()
    html = sizes(client, args.path, args.locale)
    print(f"{args.path} HTML: {html['plain']:,} bytes plain, {html['gzip']:,} gzip, {html['br']:,} brotli")
    page = client.get(args.path, headers={"Accept-Language": args.locale[:2]}).get_data(as_text=True)
    total = {"plain": 0, "gzip": 0, "br": 0}
    for url in sorted(set(STATIC_URL.findall(page))):
        weights = sizes(client, url, args.locale)
        total = {name: total[name] + weights[name] for name in total}
        print(f"  {url}: {weights['plain']:,} plain, {weights['gzip']:,} gzip, {weights['br']:,} brotli")
    print(f"static files it names: {total['plain']:,} bytes plain, {total['gzip']:,} gzip, {total['br']:,} brotli")
    css = next(url for url in STATIC_URL.findall(page) if url.endswith(".css"))
    response = client.get(css, headers={"Accept-Encoding": "br, gzip"})
    print(f"headers of GET {css} (Accept-Encoding: br, gzip): {response.status}")
    for name, value in response.headers.items():
        print(f"  {name}: {value}")
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print("chromium is not installed: no browser views")
        return
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for label, (named, fetched, received) in zip(("first", "second"),
                                                     two_views(f"http://127.0.0.1:{server.server_port}",
                                                               args.path, args.locale)):
            print(f"{label} view: {named} static requests, {fetched} answered by the server, "
                  f"{received:,} bytes received for them")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
