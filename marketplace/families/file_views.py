"""A stored file, served only to those who may read it (on the files blueprint: the address stays /files/<id>)."""
from __future__ import annotations

import re
import unicodedata

from flask import abort, current_app, send_file
from flask_login import current_user, login_required

from marketplace.core.authz import authorize, can
from marketplace.core.extensions import db, talisman
from marketplace.families.models import Household
from marketplace.families.services import read_personal
from marketplace.files import path_of
from marketplace.files.blueprint import bp
from marketplace.files.models import StoredFile

# The extension always follows the content the file was checked to be, never the name it came with.
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
# Pictures open in the browser; a PDF is downloaded, so that no script in it (were one to survive the rewrite,
# or in a file kept before there was one) runs on this site's origin.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# Whatever a served file is, the browser treats it as a sandboxed document of no origin, which may run
# nothing and load nothing; styles and pictures of the site only, for the error page a refusal shows.
SANDBOX_CSP = {"default-src": "'none'", "img-src": "'self'", "style-src": "'self'", "frame-ancestors": "'none'",
               "sandbox": ""}


def safe_download_name(stored: StoredFile) -> str:
    """The uploaded name reduced to letters, digits, '-' and '_' (any script), with the true extension."""
    base = re.split(r"[\\/]", stored.original_name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = unicodedata.normalize("NFC", stem)
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("._-")[:80] or f"file-{stored.id}"
    return stem + EXTENSIONS.get(stored.content_type, ".bin")


@bp.route("/<int:file_id>")
@talisman(content_security_policy=SANDBOX_CSP)  # in place of the site's policy, which talisman would set
@login_required
def download(file_id: int):
    """Evidence for the family, its office's staff and admins; a need's proof of delivery also for the
    patrons who gave to it. Every read but the family's is audited."""
    stored = db.session.get(StoredFile, file_id)
    if stored is None:
        abort(404)
    as_supporter = not can(current_user, "file.read", stored) and can(current_user, "file.read_outcome", stored)
    authorize("file.read_outcome" if as_supporter else "file.read", stored)
    household = db.session.get(Household, stored.household_id)
    read_personal(household, current_user, purpose="outcome_photo" if as_supporter else "file")
    db.session.commit()
    path = path_of(stored)
    if not path.is_file():
        current_app.logger.error("stored file %s is missing its bytes (%s)", stored.id, stored.stored_name)
        abort(404)
    inline = stored.content_type in INLINE_TYPES
    response = send_file(
        path, mimetype=stored.content_type if stored.content_type in EXTENSIONS else "application/octet-stream",
        as_attachment=not inline, download_name=safe_download_name(stored), conditional=False, etag=False, max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
