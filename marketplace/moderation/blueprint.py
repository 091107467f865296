"""The moderation blueprint: staff's queue, flags and decision screens (views.py, review_views.py)."""
from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/staff")
