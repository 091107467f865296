"""Entry point for `flask` and gunicorn (`gunicorn app:app`)."""
from marketplace import create_app

app = create_app()
