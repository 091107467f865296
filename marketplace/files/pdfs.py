"""PDFs rewritten before they are kept: no JavaScript, no action that runs, opens or sends anything, no
embedded or attached file, no document metadata; what is left is the pages, their links and their forms.

The file is opened by qpdf (through pikepdf) and written anew, so what it hid after its end, in old revisions
or in objects nothing points to is gone too. Streams are copied as they are, never decoded, so that a small
file cannot inflate into gigabytes here.
"""
from __future__ import annotations

import io
import logging

import pikepdf
from flask_babel import gettext as _
from pikepdf import Array, Dictionary, Name, Stream

from marketplace.files.errors import RejectedFile

logger = logging.getLogger(__name__)

# Removed wherever they are: what runs when something happens (/OpenAction, /AA), JavaScript (/JS, and the
# name tree /JavaScript), embedded and associated files (/EmbeddedFiles, /EF, /AF), XFA forms (which carry
# scripts, and /NeedsRendering, which asks for them), portfolios (/Collection), and the places where a program
# keeps data nobody sees (/Metadata, /PieceInfo).
REMOVED_KEYS = ("/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/AF", "/XFA",
                "/NeedsRendering", "/Collection", "/Metadata", "/PieceInfo")
# Keys whose value is an action, or a list of them.
ACTION_KEYS = ("/A", "/Next", "/PA")
# The actions left: going to a page of this document, a named viewer command (next page), a web link.
SAFE_ACTIONS = frozenset({"/GoTo", "/Named", "/URI"})
SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
# Annotations that play, embed or attach something rather than mark up the page.
REMOVED_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"})


def clean_pdf(data: bytes) -> bytes:
    """The PDF rewritten without anything that could run or hide; raises RejectedFile for one that cannot
    be read (damaged, protected by a password, or without a page)."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return _rewritten(pdf)
    except pikepdf.PasswordError as exc:
        raise RejectedFile(_("This PDF is protected by a password. Please send a copy without one.")) from exc
    except (pikepdf.PdfError, _NoPages, ValueError, RecursionError) as exc:
        logger.info("refused a PDF qpdf cannot read: %s", exc)
        raise RejectedFile(_damaged_message()) from exc
    except Exception as exc:  # a file from anyone must never turn into a 500; logged, to be looked at
        logger.exception("refused a PDF the rewrite failed on")
        raise RejectedFile(_damaged_message()) from exc


def _damaged_message() -> str:
    return _("This PDF is damaged and cannot be opened. Please send another copy.")


class _NoPages(Exception):
    """qpdf read a document with nothing to show: not evidence of anything."""


def _rewritten(pdf: pikepdf.Pdf) -> bytes:
    if len(pdf.pages) == 0:
        raise _NoPages()
    for obj in pdf.objects:
        _clean_object(obj)
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]  # author, title, the program that wrote it
    out = io.BytesIO()
    # Object streams off: every dictionary of the result is plain text, so it can be checked by reading.
    pdf.save(out, encryption=False, object_stream_mode=pikepdf.ObjectStreamMode.disable,
             stream_decode_level=pikepdf.StreamDecodeLevel.none, fix_metadata_version=False, deterministic_id=True)
    return out.getvalue()


def _clean_object(top) -> None:
    """Clean an indirect object and the direct objects inside it (the indirect ones it points to are on
    `pdf.objects` themselves). Iterative, so that deep nesting cannot exhaust the stack."""
    pending = [top]
    while pending:
        obj = pending.pop()
        if isinstance(obj, (Dictionary, Stream)):
            _clean_dictionary(obj)
            children = list(obj.values())
        elif isinstance(obj, Array):
            children = list(obj)
        else:
            continue
        pending.extend(child for child in children
                       if isinstance(child, (Dictionary, Stream, Array)) and not child.is_indirect)


def _clean_dictionary(obj) -> None:
    for key in REMOVED_KEYS:
        if key in obj:
            del obj[key]
    for key in ACTION_KEYS:
        if key in obj:
            _drop_unsafe_actions(obj, key)
    if "/Annots" in obj and isinstance(obj["/Annots"], Array):
        annots = obj["/Annots"]
        kept = [annot for annot in annots if not _is_removed_annotation(annot)]
        if len(kept) != len(annots):
            obj["/Annots"] = Array(kept)
    if obj.get("/Type") == Name("/EmbeddedFile") and isinstance(obj, Stream):
        obj.write(b"")  # nothing should point here any more; if something does, it points at nothing


def _drop_unsafe_actions(obj, key: str) -> None:
    value = obj[key]
    if isinstance(value, Array):
        kept = [action for action in value if not _is_unsafe_action(action)]
        if len(kept) != len(value):
            obj[key] = Array(kept)
    elif _is_unsafe_action(value):
        del obj[key]


def _is_unsafe_action(value) -> bool:
    """An action dictionary (it has /S) of a kind not in SAFE_ACTIONS, or a link to anything but the web or
    mail. An outline item's /Next has no /S and is no action."""
    if not isinstance(value, Dictionary) or "/S" not in value:
        return False
    kind = value["/S"]
    if not isinstance(kind, Name) or str(kind) not in SAFE_ACTIONS:
        return True
    if str(kind) == "/URI":
        uri = value.get("/URI")
        return not isinstance(uri, pikepdf.String) or not bytes(uri).strip().lower().startswith(
            tuple(scheme.encode() for scheme in SAFE_URI_SCHEMES))
    return False


def _is_removed_annotation(annot) -> bool:
    return isinstance(annot, Dictionary) and str(annot.get("/Subtype", "")) in REMOVED_ANNOTATIONS
