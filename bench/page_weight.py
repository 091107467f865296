"""What a page costs to download, first and second time: its HTML and every same-site asset it references
(stylesheets, scripts, icons, images, and what the stylesheets import), as the server sends them to a
browser that accepts gzip and brotli. Bytes are the response's status line, headers and body as they came
over the wire (compressed if the server compressed them).

On the second view an asset whose Cache-Control is `immutable` with a long `max-age` is taken from the
browser's cache (0 bytes, no request); any other is asked for again, conditionally when the first answer
gave an ETag or Last-Modified (then a 304 costs only its headers), else in full.
"""
from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from http_load import Response, get

ACCEPT = {"Accept-Encoding": "gzip, br", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
          "Accept-Language": "ru"}
LONG_MAX_AGE = 86_400  # a day or more, with `immutable`, counts as cached
LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "manifest"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


@dataclass
class Fetched:
    path: str
    status: int
    bytes: int
    cache_control: str
    encoding: str
    second_status: int | None = None  # None: served from the cache on the second view
    second_bytes: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and LINK_RELS & set((values.get("rel") or "").lower().split()) and values.get("href"):
            self.found.append(values["href"])
        elif tag in ("script", "img", "source", "audio", "video") and values.get("src"):
            self.found.append(values["src"])
        if tag in ("img", "source") and values.get("srcset"):
            self.found += [part.strip().split()[0] for part in values["srcset"].split(",") if part.strip()]


def _same_site(base_path: str, reference: str) -> str | None:
    """The path of a reference on this site, or None for another host or a data: URL."""
    if reference.startswith(("data:", "blob:", "#")):
        return None
    parts = urlsplit(urljoin("http://site" + base_path, reference))
    if parts.netloc != "site":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _text(response: Response) -> str:
    if response.headers.get("content-encoding"):
        encoding = response.headers["content-encoding"]
        if encoding == "gzip":
            return gzip.decompress(response.body).decode("utf-8", "replace")
        if encoding == "deflate":
            return zlib.decompress(response.body).decode("utf-8", "replace")
        if encoding == "br":
            try:
                import brotli  # type: ignore[import-not-found]
            except ImportError:
                return ""  # references inside a brotli body cannot be read without the brotli package
            return brotli.decompress(response.body).decode("utf-8", "replace")
    return response.body.decode("utf-8", "replace")


def _cached_on_second_view(cache_control: str) -> bool:
    directives = {part.strip().split("=")[0].lower(): part.strip() for part in cache_control.split(",") if part.strip()}
    if "immutable" not in directives or "no-store" in directives or "no-cache" in directives:
        return False
    max_age = directives.get("max-age", "max-age=0").split("=", 1)[-1]
    return max_age.isdigit() and int(max_age) >= LONG_MAX_AGE


def page_views(host: str, port: int, path: str) -> dict:
    """The first and the second view of `path`: every file with its bytes, and the totals."""
    files: list[Fetched] = []
    first: dict[str, Response] = {}
    queue, seen = [path], {path}
    while queue:
        current = queue.pop(0)
        response = get(host, port, current, ACCEPT)
        first[current] = response
        files.append(Fetched(current, response.status, response.wire_bytes, response.headers.get("cache-control", ""),
                             response.headers.get("content-encoding", "")))
        kind = response.headers.get("content-type", "")
        references: list[str] = []
        if "html" in kind:
            parser = _References()
            parser.feed(_text(response))
            references = parser.found
        elif "css" in kind:
            references = [a or b for a, b in CSS_URL.findall(_text(response))]
        for reference in references:
            target = _same_site(current, reference)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    for item in files:
        if _cached_on_second_view(item.cache_control):
            continue
        earlier = first[item.path]
        headers = dict(ACCEPT)
        if "etag" in earlier.headers:
            headers["If-None-Match"] = earlier.headers["etag"]
        if "last-modified" in earlier.headers:
            headers["If-Modified-Since"] = earlier.headers["last-modified"]
        again = get(host, port, item.path, headers)
        item.second_status, item.second_bytes = again.status, again.wire_bytes
    return {
        "path": path,
        "first_view_bytes": sum(f.bytes for f in files),
        "first_view_requests": len(files),
        "second_view_bytes": sum(f.second_bytes for f in files),
        "second_view_requests": sum(1 for f in files if f.second_status is not None),
        "files": [f.as_dict() for f in files],
    }
