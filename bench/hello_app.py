"""The baseline of bench/catalogue_scale.py: Flask's hello world, served by the same gunicorn."""
from flask import Flask

app = Flask(__name__)
app.add_url_rule("/", "hello", lambda: "Hello, World!")
