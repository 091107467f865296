"""Pages of the files domain."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("files", __name__, url_prefix="/files")
