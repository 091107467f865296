"""The needs catalogue on a phone: where the first result starts and what the default view downloads (issue 13).

    .venv/bin/python bench/catalogue_phone.py [--locale ru-RU] [--path /needs/] [--screenshot FILE.png]

Serves the app with the demo data (`flask seed-demo`) on a loopback port, opens the path in Debian's chromium
at 360×740 (a cheap phone, device scale 2) with every other host blocked (map tiles fail as offline), waits
until the network is idle and prints: the first result card's top in px from the top of the page, whether it
is on the first screen, the number of requests, the bytes transferred (headers and bodies, as the browser
counts them) and the share of Leaflet's files in them. `--screenshot` saves the first screen as a PNG.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from werkzeug.serving import make_server  # noqa: E402

from marketplace import create_app  # noqa: E402

VIEWPORT = {"width": 360, "height": 740}


def serve():
    """The app with the demo data on a free loopback port; returns (base URL, server)."""
    from flask_migrate import upgrade

    from marketplace.demo.seed import seed_demo

    folder = Path(tempfile.mkdtemp(prefix="sw-bench-catalogue-"))
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.sqlite3'}",
                     UPLOAD_FOLDER=str(folder / "uploads"), RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def measure(base: str, path: str, locale: str, screenshot: str | None) -> dict:
    """Open `path` once in a fresh phone profile and collect the figures."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport=VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2,
                                      locale=locale, base_url=base)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                      else route.abort())
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(path, wait_until="networkidle")
        top = page.evaluate("""() => {
            const card = document.querySelector('.need-card');
            return card ? card.getBoundingClientRect().top + window.scrollY : null;
        }""")
        sizes = [(request.url, request.sizes()) for request in finished]
        if screenshot:
            page.screenshot(path=screenshot)
            page.screenshot(path=screenshot.replace(".png", "-full.png"), full_page=True)
        browser.close()
    total = sum(s["requestHeadersSize"] + s["responseHeadersSize"] + s["responseBodySize"] for _u, s in sizes)
    leaflet = sum(s["responseHeadersSize"] + s["responseBodySize"] for u, s in sizes if "leaflet" in u)
    return {"top": top, "requests": len(sizes), "bytes": total, "leaflet_bytes": leaflet,
            "files": [(u.removeprefix(base), s["responseBodySize"]) for u, s in sizes]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locale", default="ru-RU")
    parser.add_argument("--path", default="/needs/")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    base, server = serve()
    try:
        figures = measure(base, args.path, args.locale, args.screenshot)
    finally:
        server.shutdown()
    top = figures["top"]
    print(f"{args.path} at 360×740, {args.locale}")
    print(f"  first result's top: {top:.0f} px" + (" (on the first screen)" if top is not None and top < 740
                                                    else " (below the first screen)") if top is not None
          else "  no result card on the page")
    print(f"  requests: {figures['requests']}, transferred: {figures['bytes']:,} bytes "
          f"({figures['bytes'] / 1024:.1f} KB), of which Leaflet: {figures['leaflet_bytes']:,} bytes")
    for url, body in figures["files"]:
        print(f"    {body:>8,}  {url}")


if __name__ == "__main__":
    main()
