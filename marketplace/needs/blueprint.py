"""The needs blueprint: the public catalogue and a need's page (needs/views.py) and the flags raised from it
(moderation/flag_views.py)."""
from flask import Blueprint

bp = Blueprint("needs", __name__, url_prefix="/needs")
