"""The families blueprint: the family's own pages (families/views.py, needs/family_views.py, privacy/views.py)."""
from flask import Blueprint

bp = Blueprint("families", __name__, url_prefix="/family")
