"""Pages of the families domain."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("families", __name__, url_prefix="/family")
