"""Static files under names that carry a hash of their bytes, so that browsers and proxies keep them for a year.

`url_for('static', filename='css/site.css')` gives `/static/css/site.3f2a9c1b0d4e.css`: the first twelve hex
digits of the file's SHA-256, computed once per version of the file (a changed file, seen by its size and
modification time, is hashed again and so gets a new name). Such a name always means the same bytes, so it is
sent with `Cache-Control: public, max-age=31536000, immutable` and a second page view fetches nothing. The plain
name still works, revalidated on every use (`no-cache` and an ETag, so a 304 costs no bytes): old pages, and
what a stylesheet names relatively (Leaflet's `url(images/layers.png)`), still find their files. A hashed name
whose hash is not the file's current one (a page from before a deploy) gets today's bytes the plain way.

Files are served from memory, not streamed, so that the compression of pages applies to them too.
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request
from werkzeug.security import safe_join

DIGEST_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{%d})(?P<suffix>\.[A-Za-z0-9]+)$" % DIGEST_LENGTH)


@dataclass(frozen=True)
class Asset:
    """One version of a static file: its bytes, the start of their SHA-256, and its media type."""

    data: bytes
    digest: str
    mimetype: str


def hashed_filename(filename: str, digest: str) -> str:
    """`css/site.css` → `css/site.<digest>.css`; a name without a suffix stays as it is."""
    path = Path(filename)
    if not path.suffix:
        return filename
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


class StaticFiles:
    """The files of one static folder, each read and hashed once per version."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._assets: dict[str, tuple[tuple[int, int], Asset]] = {}

    def asset(self, filename: str) -> Asset | None:
        """The file's current version, or None when there is no such file in the folder."""
        joined = safe_join(str(self.folder), filename)
        if joined is None:
            return None
        try:
            stat = Path(joined).stat()
        except OSError:
            return None
        if not Path(joined).is_file():
            return None
        version = (stat.st_mtime_ns, stat.st_size)
        known = self._assets.get(filename)
        if known is not None and known[0] == version:
            return known[1]
        data = Path(joined).read_bytes()
        asset = Asset(data, hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH],
                      mimetypes.guess_type(filename)[0] or "application/octet-stream")
        self._assets[filename] = (version, asset)
        return asset

    def url_name(self, filename: str) -> str:
        """The name to put in a page: hashed when the file exists, as given otherwise (it will be a 404)."""
        asset = self.asset(filename)
        return hashed_filename(filename, asset.digest) if asset is not None else filename

    def resolve(self, requested: str) -> tuple[Asset, bool] | None:
        """The asset a requested name means, and whether that name is its hashed one (and so immutable)."""
        asset = self.asset(requested)
        if asset is not None:
            return asset, False
        match = _HASHED.match(requested)
        if match is None:
            return None
        asset = self.asset(match["stem"] + match["suffix"])
        if asset is None:
            return None
        return asset, asset.digest == match["digest"]


def _serve(files: StaticFiles, filename: str) -> Response:
    found = files.resolve(filename)
    if found is None:
        abort(404)
    asset, immutable = found
    response = Response(asset.data, mimetype=asset.mimetype)
    response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    response.set_etag(asset.digest)
    return response.make_conditional(request)


def register_static_files(app: Flask) -> None:
    """Serve the static folder under hashed names, and make `url_for('static', ...)` give them."""
    files = StaticFiles(app.static_folder)
    app.extensions["static_files"] = files
    app.view_functions["static"] = lambda filename: _serve(files, filename)

    @app.url_defaults
    def hashed_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = files.url_name(values["filename"])
