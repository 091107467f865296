"""The files blueprint: /files/<id>, served by families/file_views.py (who may read a file is the family's rule)."""
from flask import Blueprint

bp = Blueprint("files", __name__, url_prefix="/files")
