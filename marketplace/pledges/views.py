"""Patrons' pages: pledge to a need, follow the pledge, receipts, the dashboard and the home point."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pledges", __name__)
