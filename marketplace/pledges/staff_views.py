"""Staff's and families' pledge pages: confirm transfers and goods received, refunds by hand."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pledges_staff", __name__)
