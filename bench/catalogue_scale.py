"""Benchmark: the catalogue at national scale — the catalogue page and the API listing under load and as the
data grows, against a hello world, a need's page and the API by id measured in the same run.

    .venv/bin/python bench/catalogue_scale.py [--sizes 10000,100000,1000000] [--seconds 5] [--concurrency 4]
        [--reuse] [--database-url-template postgresql://postgres@127.0.0.1:5432/sw_bench_{size}] [--json FILE]

For each size it seeds (or, with --reuse, keeps) a PostgreSQL database of that many open needs
(bench/catalogue_seed.py), serves the app from it with gunicorn (`--workers 2 -k sync`, production
settings, rate limits off) beside a Flask hello world served by the same gunicorn (bench/hello_app.py), and
measures with bench/http_load.py:

- throughput: requests per second and p95 of `--concurrency` clients for hello world, a need's page, the API
  by id, and the catalogue page and the API listing, by default and with each filter;
- a single client's ms per request for the same pages (how each grows with the data);
- the bytes of the catalogue's first and second view (bench/page_weight.py).

It prints the tables, each figure's ratio to its baseline from the same run, and one PASS/FAIL line per
requirement of the issue; it asserts nothing. The machine has 2 cores shared with the client and with
whatever else runs: absolute figures are noisy, the ratios within one run are what count.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from catalogue_seed import LISTED_SQL, ensure_seeded  # noqa: E402
from http_load import Load, get, hammer  # noqa: E402
from marketplace.core.config import _database_url  # noqa: E402
from page_weight import page_views  # noqa: E402

HOST = "127.0.0.1"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
# The setup. The worker timeout is raised from gunicorn's 30 s so that the slowest "before" pages at
# a million needs are measured rather than killed.
GUNICORN_ARGS = ["--workers", "2", "-k", "sync", "--timeout", "120", "--log-level", "warning"]
# A slow page's window is stretched until it has a few samples, up to this many times --seconds.
MAX_WINDOW = 4
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
NEED_IDS = 200  # need pages and API-by-id requests cycle through this many listed needs
PLACE = "Алматы"
LAT, LON = "43.24", "76.89"
# Each filter as the catalogue form and the API take it.
FILTERS = (
    ("category=medicine", "category=medicine"),
    ("kind=money", "kind=money"),
    ("kind=goods", "kind=goods"),
    ("kind=volunteer", "kind=volunteer"),
    ("urgency=critical", "urgency=critical"),
    ("region=karaganda", "region=karaganda"),
    ("settlement=Караганда", "settlement=Караганда"),
    (f"near={PLACE} (any distance)", f"lat={LAT}&lon={LON}"),
    (f"near={PLACE}&radius=25", f"lat={LAT}&lon={LON}&radius_km=25"),
)
GROWTH_LIMIT, PLACE_LIMIT, SHARE_LIMIT = 1.5, 2.0, 0.5
# Anonymous views measured again with the public cache on.
CACHED = ("/needs/", f"/needs/?near={PLACE}", "/api/v1/needs")


def url_path(path: str) -> str:
    return quote(path, safe="/?=&:")


def listings() -> list[tuple[str, str, str]]:
    """(name, kind, path) of every catalogue and API listing measured; kind is "page" or "api"."""
    pages = [("/needs/", "page", "/needs/")]
    apis = [("/api/v1/needs", "api", "/api/v1/needs")]
    for page_query, api_query in FILTERS:
        form_query = page_query.split(" ")[0]  # "near=Алматы (any distance)" is sent as "near=Алматы"
        pages.append((f"/needs/?{page_query}", "page", f"/needs/?{form_query}"))
        apis.append((f"/api/v1/needs?{api_query}", "api", f"/api/v1/needs?{api_query}"))
    return pages + apis


# --- servers ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving `target` on a free loopback port until stopped; its log goes to a temporary file."""

    def __init__(self, target: str, env: dict[str, str] | None = None, chdir: Path = ROOT) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sw-bench-gunicorn-", suffix=".log", delete=False)
        environment = {**os.environ, **(env or {})}
        environment = {k: v.replace("{port}", str(self.port)) for k, v in environment.items()}
        self.process = subprocess.Popen([str(GUNICORN), *GUNICORN_ARGS, "--bind", f"{HOST}:{self.port}",
                                         "--chdir", str(chdir), target], cwd=chdir, env=environment,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                get(HOST, self.port, "/")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"gunicorn {target} did not start:\n" + Path(self.log.name).read_text()[-3000:])
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def app_env(database_url: str) -> dict[str, str]:
    """Production settings (its checks satisfied for a loopback address), rate limits off, and the anonymous
    views' cache off: the listings' figures are what a page costs uncached (the cached views are measured on a
    second server with it on)."""
    return {"SOCIAL_WINDOW_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "PUBLIC_CACHE_SECONDS": "0",
            "PUBLIC_URL": f"http://{HOST}:{{port}}", "TRUSTED_HOSTS": HOST, "RATELIMIT_ENABLED": "0",
            "DATABASE_URL": database_url, "REDIS_URL": "", "RATELIMIT_STORAGE_URI": "memory://", "MAIL_SERVER": "",
            "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="sw-bench-uploads-"), "FORCE_HTTPS": "0"}


def sample_need_ids(database_url: str, count: int) -> list[int]:
    engine = create_engine(_database_url(database_url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT setseed(0.5)"))
            return list(conn.scalars(text(
                f"SELECT n.id FROM needs n JOIN households h ON h.id = n.household_id JOIN users u ON u.id = h.user_id "
                f"WHERE {LISTED_SQL} ORDER BY random() LIMIT :count"), {"count": count}))
    finally:
        engine.dispose()


# --- one size --------------------------------------------------------------------------------------

def measure_size(size: int, args: argparse.Namespace, hello: Gunicorn) -> dict:
    url = args.database_url_template.format(size=size)
    report = ensure_seeded(url, size, reuse=args.reuse)
    print(f"\n== {size:,} open needs: {report.database} "
          f"({'seeded in' if report.seeded else 'reused, checked in'} {report.seconds:.1f} s; {report.total:,} needs "
          f"in all, {report.listed:,} listed; new columns filled: {', '.join(report.new_columns) or 'none'}) ==")
    ids = sample_need_ids(url, NEED_IDS)
    need_pages, api_ids = [f"/needs/{i}" for i in ids], [f"/api/v1/needs/{i}" for i in ids]
    app = Gunicorn("app:app", app_env(url))
    try:
        for _name, _kind, path in listings():  # each query planned and its pages read once before timing
            get(HOST, app.port, url_path(path))
        seconds, concurrency = args.seconds, args.concurrency

        def load(port: int, paths: list[str], clients: int, window: float | None = None) -> Load:
            window = window or seconds
            run = hammer(HOST, port, [url_path(p) for p in paths], seconds=window, concurrency=clients,
                         min_requests=5 if clients == 1 else 10, max_seconds=MAX_WINDOW * window)
            shown = paths[0] if len(paths) == 1 else paths[0].rsplit("/", 1)[0] + "/<id>"
            print(f"   {clients} client{'s' if clients > 1 else ''}  {shown}: {run.rps:,.1f} req/s, median "
                  f"{run.median_ms:,.1f} ms" + (f", errors {run.errors}" if run.errors else ""),
                  file=sys.stderr, flush=True)
            return run

        def paired(clients: int) -> tuple[dict[str, list[Load]], dict[str, list[Load]]]:
            """Each listing in two half windows, each between two half windows of its baseline (a need's page
            for a page, the API by id for the API): the machine's drift over the minutes of a run then moves
            a listing and the baseline it is compared with alike."""
            runs: dict[str, list[Load]] = {}
            bases: dict[str, list[Load]] = {}
            for name, kind, path in listings():
                base = need_pages if kind == "page" else api_ids
                bases[name], runs[name] = [load(app.port, base, clients, seconds / 2)], []
                for _ in range(2):
                    runs[name].append(load(app.port, [path], clients, seconds / 2))
                    bases[name].append(load(app.port, base, clients, seconds / 2))
            return runs, bases

        # The baselines before and after the listings (for the table's share of hello world), then the
        # listings paired with their own baselines.
        throughput: dict[str, list[Load]] = {"hello world": [load(hello.port, ["/"], concurrency)],
                                             "/needs/<id>": [load(app.port, need_pages, concurrency)],
                                             "/api/v1/needs/<id>": [load(app.port, api_ids, concurrency)]}
        listed, throughput_bases = paired(concurrency)
        throughput.update(listed)
        throughput["/needs/<id>"].append(load(app.port, need_pages, concurrency))
        throughput["/api/v1/needs/<id>"].append(load(app.port, api_ids, concurrency))
        throughput["hello world"].append(load(hello.port, ["/"], concurrency))

        single: dict[str, list[Load]] = {"hello world": [load(hello.port, ["/"], 1)],
                                         "/api/v1/needs/<id>": [load(app.port, api_ids, 1)],
                                         "/needs/<id>": [load(app.port, need_pages, 1)]}
        listed, single_bases = paired(1)
        single.update(listed)
        single["/needs/<id>"].append(load(app.port, need_pages, 1))
        single["/api/v1/needs/<id>"].append(load(app.port, api_ids, 1))
        weight = page_views(HOST, app.port, "/needs/")
    finally:
        app.stop()
    # The same listings as anonymous visitors get them with the server-side cache on (the embedded default: each
    # worker's own memory), once each worker has kept them; hello world measured again beside them.
    kept = Gunicorn("app:app", {**app_env(url), "PUBLIC_CACHE_SECONDS": "30"})
    try:
        for path in CACHED:
            for _ in range(8):  # both workers
                get(HOST, kept.port, url_path(path))
        cached = {"hello world": [load(hello.port, ["/"], args.concurrency)]}
        for path in CACHED:
            cached[f"{path} (cached)"] = [load(kept.port, [path], args.concurrency)]
        cached["hello world"].append(load(hello.port, ["/"], args.concurrency))
    finally:
        kept.stop()
    return {"size": size, "seed": report.as_dict(),
            "cached": {name: [run.as_dict() for run in runs] for name, runs in cached.items()},
            "throughput": {name: [run.as_dict() for run in runs] for name, runs in throughput.items()},
            "throughput_bases": {name: [run.as_dict() for run in runs] for name, runs in throughput_bases.items()},
            "single_client_bases": {name: [run.as_dict() for run in runs] for name, runs in single_bases.items()},
            "single_client": {name: [run.as_dict() for run in runs] for name, runs in single.items()},
            "page_weight": weight}


# --- report ----------------------------------------------------------------------------------------

def rps(result: dict, name: str, table: str = "throughput") -> float:
    runs = result[table][name]
    return sum(run["rps"] for run in runs) / len(runs)


def p95(result: dict, name: str) -> float:
    return max(run["p95_ms"] for run in result["throughput"][name])


def single_ms(result: dict, name: str, table: str = "single_client") -> float:
    runs = result[table][name]
    return sum(run["median_ms"] for run in runs) / len(runs)


def figure(value: float) -> str:
    """A rate or a time with the digits that mean something: 2,561 / 74 / 0.4."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def percent(share: float) -> str:
    return f"{100 * share:.1f} %" if share >= 0.001 else f"{100 * share:.3f} %"


def errors(result: dict, name: str) -> str:
    runs = result["throughput"][name] + result["single_client"].get(name, [])
    found: dict[str, int] = {}
    for run in runs:
        for problem, count in run["errors"].items():
            found[problem] = found.get(problem, 0) + count
    return ", ".join(f"{count}× {problem}" for problem, count in found.items())


def print_throughput(result: dict, args: argparse.Namespace) -> None:
    hello = rps(result, "hello world")
    spread = " / ".join(f"{run['rps']:,.0f}" for run in result["throughput"]["hello world"])
    print(f"\nThroughput, gunicorn --workers 2 -k sync, {args.concurrency} clients, {args.seconds:g} s each, "
          f"{result['size']:,} open needs (hello world before / after: {spread} req/s)\n")
    print("| endpoint | req/s | p95 ms | % of hello world | ÷ its baseline, measured around it |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [("hello world", None), ("/needs/<id>", None), ("/api/v1/needs/<id>", None)]
    rows += [(name, kind) for name, kind, _path in listings()]
    for name, kind in rows:
        value = rps(result, name)
        versus = (f"{value / rps(result, name, 'throughput_bases'):.3f}× {'page' if kind == 'page' else 'by id'}"
                  if kind else "")
        problems = errors(result, name)
        print(f"| `{name}` | {figure(value)} | {p95(result, name):,.0f} | {percent(value / hello)} | {versus} |"
              + (f" errors: {problems}" if problems else ""))
    cached_hello = rps(result, "hello world", "cached")
    print(f"\nAnonymous views with the public cache on (PUBLIC_CACHE_SECONDS=30, each worker's memory), beside "
          f"hello world's {figure(cached_hello)} req/s\n")
    print("| endpoint | req/s | p95 ms | % of hello world |")
    print("| --- | ---: | ---: | ---: |")
    for name, runs in result["cached"].items():
        if name != "hello world":
            value = rps(result, name, "cached")
            print(f"| `{name}` | {figure(value)} | {max(run['p95_ms'] for run in runs):,.0f} | "
                  f"{percent(value / cached_hello)} |")


def print_single(results: list[dict]) -> None:
    sizes = [r["size"] for r in results]
    print("\nSingle client, ms per request (median; a need's page and the API by id: the mean of their medians "
          "before and after the listings), by open needs in the database\n")
    print("| endpoint | " + " | ".join(f"{s:,}" for s in sizes) + " | growth |")
    print("| --- | " + " | ".join("---:" for _ in sizes) + " | ---: |")
    names = ["hello world", "/api/v1/needs/<id>", "/needs/<id>"] + [name for name, _k, _p in listings()]
    for name in names:
        figures = [single_ms(r, name) for r in results]
        growth = f"{figures[-1] / figures[0]:.2f}×" if len(figures) > 1 else ""
        print(f"| `{name}` | " + " | ".join(figure(f) for f in figures) + f" | {growth} |")


def print_weight(result: dict) -> None:
    weight = result["page_weight"]
    print(f"\nBytes of `{weight['path']}` (status line, headers and body as sent, Accept-Encoding: gzip, br), "
          f"{result['size']:,} open needs\n")
    print("| file | status | first view | encoding | Cache-Control | second view |")
    print("| --- | ---: | ---: | --- | --- | ---: |")
    for f in weight["files"]:
        second = "cached" if f["second_status"] is None else f"{f['second_bytes']:,} ({f['second_status']})"
        print(f"| `{f['path']}` | {f['status']} | {f['bytes']:,} | {f['encoding'] or '—'} | "
              f"{f['cache_control'] or '—'} | {second} |")
    print(f"| **total** | | **{weight['first_view_bytes']:,}** ({weight['first_view_requests']} requests) | | | "
          f"**{weight['second_view_bytes']:,}** ({weight['second_view_requests']} requests) |")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def checks(results: list[dict]) -> list[dict]:
    """One line per requirement and size: (PASS|FAIL|SKIP, text)."""
    lines: list[dict] = []

    def line(status: str, requirement: str, detail: str) -> None:
        lines.append({"status": status, "requirement": requirement, "detail": detail})

    for r in results:
        n = f"{r['size']:,}"
        page, by_id, hello = rps(r, "/needs/<id>"), rps(r, "/api/v1/needs/<id>"), rps(r, "hello world")
        for name, kind, _path in listings():
            base, base_name = rps(r, name, "throughput_bases"), "need page" if kind == "page" else "API by id"
            share = rps(r, name) / base
            line(verdict(share >= SHARE_LIMIT), "listing ≥ 50 % of its by-id req/s",
                 f"{n}: `{name}` {figure(rps(r, name))} req/s = {percent(share)} of the {base_name}'s "
                 f"{figure(base)} measured around it")
        cached_hello = rps(r, "hello world", "cached")
        for path in CACHED:
            name = f"{path} (cached)"
            share = rps(r, name, "cached") / cached_hello
            line(verdict(share >= SHARE_LIMIT), "anonymous cached views ≥ 50 % of hello world req/s",
                 f"{n}: `{name}` {figure(rps(r, name, 'cached'))} req/s = {percent(share)} of hello world's "
                 f"{figure(cached_hello)} (measured beside them)")
        for name in (f"/needs/?near={PLACE} (any distance)", f"/api/v1/needs?lat={LAT}&lon={LON}"):
            base = single_ms(r, name, "single_client_bases")  # the page's own baseline is a need's page
            by_id = single_ms(r, "/api/v1/needs/<id>")
            ratio = single_ms(r, name) / by_id
            line(verdict(ratio <= PLACE_LIMIT), "place search, any distance, ≤ 2× the API by id",
                 f"{n}: `{name}` {single_ms(r, name):,.1f} ms = {ratio:.1f}× the API by id's {by_id:,.1f} ms "
                 f"(single client; {single_ms(r, name) / base:.1f}× its paired "
                 f"{'need page' if name.startswith('/needs/') else 'API by id'})")
    by_size = {r["size"]: r for r in results}
    for name, _kind, _path in listings():
        if 10_000 in by_size and 1_000_000 in by_size:
            growth = single_ms(by_size[1_000_000], name) / single_ms(by_size[10_000], name)
            line(verdict(growth <= GROWTH_LIMIT), "listing grows ≤ 1.5× from 10,000 to 1,000,000 needs",
                 f"`{name}` {growth:.2f}× ({single_ms(by_size[10_000], name):,.1f} → "
                 f"{single_ms(by_size[1_000_000], name):,.1f} ms)")
            # The same growth over that of the baseline measured around it (a by-id fetch should not grow at
            # all): what is left of the machine's drift between the sizes' minutes.
            paired = growth / (single_ms(by_size[1_000_000], name, "single_client_bases")
                               / single_ms(by_size[10_000], name, "single_client_bases"))
            line("INFO", "listing's growth over its baseline's growth", f"`{name}` {paired:.2f}×")
        elif len(results) > 1:
            first, last = results[0], results[-1]
            growth = single_ms(last, name) / single_ms(first, name)
            line("SKIP", "listing grows ≤ 1.5× from 10,000 to 1,000,000 needs",
                 f"`{name}` not run at both sizes; {first['size']:,} → {last['size']:,}: {growth:.2f}×")
    for r in results:
        w = r["page_weight"]
        line("INFO", "catalogue's transferred bytes",
             f"{r['size']:,}: first view {w['first_view_bytes']:,} bytes in {w['first_view_requests']} requests, "
             f"second view {w['second_view_bytes']:,} bytes in {w['second_view_requests']} requests")
    return lines


def results_are_ignored(path: Path) -> bool:
    """Whether git ignores files written there (else they would show up as changes to commit)."""
    return subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="open needs per database, comma-separated (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement (default: 5)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients for the throughput (default: 4)")
    parser.add_argument("--database-url-template", default="postgresql://postgres@127.0.0.1:5432/sw_bench_{size}",
                        help="one database per size; {size} is replaced (default: %(default)s)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database whose needs already match its size instead of seeding it again")
    parser.add_argument("--json", help="write the results there (default: bench/results/ if git ignores it, "
                                       "else printed at the end)")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())

    # A terminated run still stops its gunicorns (the `finally` blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    started = datetime.now(UTC)
    hello = Gunicorn("hello_app:app", chdir=ROOT / "bench")
    try:
        results = [measure_size(size, args, hello) for size in sizes]
    finally:
        hello.stop()
    for result in results:
        print_throughput(result, args)
    print_single(results)
    print_weight(results[-1])
    verdicts = checks(results)
    print()
    for item in verdicts:
        print(f"{item['status']}  {item['requirement']}: {item['detail']}")
    counted = {s: sum(1 for v in verdicts if v["status"] == s) for s in ("PASS", "FAIL", "SKIP")}
    print(f"\n{counted['PASS']} passed, {counted['FAIL']} failed, {counted['SKIP']} skipped "
          "(2 shared cores: absolute figures are noisy, the ratios within this run are what count)")

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    document = {"started": started.isoformat(), "commit": commit.strip(), "seconds": args.seconds,
                "concurrency": args.concurrency, "gunicorn": GUNICORN_ARGS, "results": results, "checks": verdicts}
    target = Path(args.json) if args.json else ROOT / "bench" / "results" / f"catalogue_scale-{started:%Y%m%dT%H%M%S}.json"
    if args.json or results_are_ignored(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document, ensure_ascii=False, indent=1))
        print(f"results: {target}")
    else:
        print("\nJSON (bench/results/ is not git-ignored, so it is printed, not written; --json FILE writes it):")
        print(json.dumps(document, ensure_ascii=False))


if __name__ == "__main__":
    main()
