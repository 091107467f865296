"""Private file storage: type decided by content, every file rewritten (images from their pixels, PDFs
without scripts or attachments), random names outside static/."""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from marketplace.core import audit
from marketplace.core.extensions import db
from marketplace.files.errors import RejectedFile
from marketplace.files.images import PIL_FORMATS, clean_image
from marketplace.files.models import StoredFile
from marketplace.files.pdfs import clean_pdf

logger = logging.getLogger(__name__)

# Magic numbers of the only types we keep; the browser's Content-Type and the file name are ignored.
SIGNATURES: list[tuple[bytes, int, str, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"WEBP", 8, "image/webp", ".webp"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
]


def sniff(head: bytes) -> tuple[str, str] | None:
    """The content type and extension the first bytes prove, or None."""
    for magic, offset, content_type, extension in SIGNATURES:
        if head[offset:offset + len(magic)] == magic and (content_type != "image/webp" or head[:4] == b"RIFF"):
            return content_type, extension
    return None


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(upload: FileStorage, *, household_id: int, office_id: int | None, need_id: int | None = None,
                 uploaded_by=None) -> StoredFile:
    """Check and keep an uploaded file of a household (its upload audited for `office_id`); raises RejectedFile
    (and keeps nothing) when it is not acceptable."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if not data:
        raise RejectedFile(_("The file is empty."))
    if len(data) > limit:
        raise RejectedFile(_("The file is too large: at most %(mb)d MB.", mb=limit // (1024 * 1024)))
    found = sniff(data[:16])
    if found is None:
        raise RejectedFile(_("Only photos (JPEG, PNG, WebP) and PDF documents can be uploaded."))
    content_type, extension = found
    # What is kept is never the bytes as uploaded: whatever the original hid in metadata, scripts or
    # attachments does not survive the rewrite.
    data = clean_image(data, content_type) if content_type in PIL_FORMATS else clean_pdf(data)
    stored_name = secrets.token_hex(16) + extension
    path = upload_folder() / stored_name
    record = StoredFile(
        household_id=household_id, need_id=need_id, stored_name=stored_name,
        original_name=(upload.filename or "file")[-255:], content_type=content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    db.session.add(record)
    # The bytes are written now, so they exist when the row commits; if the row does not commit (a
    # rollback, a failed commit, a savepoint undone) they are removed when the transaction ends.
    _pending(db.session).append((_WRITTEN, path, record))
    path.write_bytes(data)
    db.session.flush()
    audit.record("file.upload", record, actor=uploaded_by, object_type="file",
                 details={"content_type": content_type, "size": len(data)}, office_id=office_id)
    return record


def path_of(stored: StoredFile) -> Path:
    """Where the bytes of a stored file are."""
    return upload_folder() / stored.stored_name


def delete_stored(stored: StoredFile) -> None:
    """Remove a file's row, and its bytes once that deletion commits (erasure): a failed commit keeps
    both, never a row whose file is gone."""
    _pending(db.session).append((_DELETED, path_of(stored), stored))
    db.session.delete(stored)


# Files whose fate hangs on the session's transaction: (what happened, path, row).
_WRITTEN, _DELETED = "written", "deleted"
_PENDING_KEY = "marketplace.files.pending"
_COMMITTED_KEY = "marketplace.files.committed"


def _pending(session) -> list[tuple[str, Path, StoredFile]]:
    return session.info.setdefault(_PENDING_KEY, [])


@event.listens_for(Session, "after_commit", insert=True)  # first: no other listener may stand in its way
def _remember_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint released is not yet a commit
        session.info[_COMMITTED_KEY] = True


@event.listens_for(Session, "after_transaction_end")
def _settle_files(session: Session, transaction) -> None:
    """When the session's outermost transaction ends, keep the bytes of rows that committed and remove
    the rest: new files whose row was rolled back, and deleted files whose deletion committed."""
    if transaction.parent is not None:
        return
    committed = session.info.pop(_COMMITTED_KEY, False)
    for what, path, record in session.info.pop(_PENDING_KEY, []):
        state = inspect(record)
        if what == _WRITTEN:
            kept = committed and not state.transient and not state.was_deleted
        else:
            kept = not (committed and state.was_deleted)
        if not kept:
            try:
                path.unlink(missing_ok=True)
            except OSError:  # the transaction has ended either way; `flask sweep-uploads` retries
                logger.exception("could not remove %s", path.name)


def sweep_orphans(*, older_than_hours: float = 24.0) -> list[str]:
    """Remove files in the upload folder that no row names: bytes left by a process that died between
    writing and its transaction's end, or by a row a database cascade removed. Files younger than
    `older_than_hours` are left alone, as a request may still be about to commit them. Returns the
    names removed."""
    folder = upload_folder()
    cutoff = time.time() - older_than_hours * 3600
    candidates = {path.name: path for path in folder.iterdir() if path.is_file() and path.stat().st_mtime < cutoff}
    names = list(candidates)
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        for known in db.session.scalars(select(StoredFile.stored_name).where(StoredFile.stored_name.in_(chunk))):
            candidates.pop(known, None)
    removed = []
    for name, path in sorted(candidates.items()):
        try:
            path.unlink(missing_ok=True)
            removed.append(name)
        except OSError:
            logger.exception("could not remove %s", name)
    return removed
