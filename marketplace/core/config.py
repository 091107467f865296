"""Settings, read from the environment in this one module."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instance"

# Keys that must never reach production; the factory refuses to start with them.
INSECURE_SECRET_KEYS = frozenset({"", "dev", "change-me", "development-only-secret"})


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _database_url(url: str | None) -> str:
    if not url:
        return f"sqlite:///{INSTANCE / 'social_window.sqlite3'}"
    # Heroku-style URLs name the old driver; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Settings for every environment, each overridable by an environment variable."""

    ENV_NAME = os.environ.get("SOCIAL_WINDOW_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret")
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Anonymous catalogue views kept this many seconds (core/public_cache.py); 0 keeps none.
    PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "30"))

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_HOURS", 12) * 3600
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead; forms stay usable on slow phones
    FORCE_HTTPS = _bool("FORCE_HTTPS", False)

    # Passwords (argon2id); tests lower the cost.
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 65536)
    PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 10)
    PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)
    SIGNUP_CONFIRM_MAX_AGE = _int("SIGNUP_CONFIRM_MAX_AGE", 3 * 24 * 3600)
    EMAIL_CHANGE_MAX_AGE = _int("EMAIL_CHANGE_MAX_AGE", 24 * 3600)

    # Rate limits (Flask-Limiter syntax).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (
        os.environ.get("REDIS_URL") or "memory://"
    )
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    RESET_LIMIT_PER_IP = os.environ.get("RESET_LIMIT_PER_IP", "10 per hour")
    RESET_LIMIT_PER_ACCOUNT = os.environ.get("RESET_LIMIT_PER_ACCOUNT", "3 per hour")
    FLAG_LIMIT = os.environ.get("FLAG_LIMIT", "20 per hour")

    # Mail: with no MAIL_SERVER the message is written to the log instead of sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Social Window <noreply@social-window.kz>")
    MAIL_SUPPRESS_SEND = not bool(os.environ.get("MAIL_SERVER"))

    # Languages.
    LANGUAGES = ("ru", "kk", "en")
    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "Asia/Almaty")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "marketplace" / "translations")

    # Geography.
    GEOCODER = os.environ.get("GEOCODER", "offline")
    NOMINATIM_USER_AGENT = os.environ.get("NOMINATIM_USER_AGENT", "social-window/0.1 (contact: admin@social-window.kz)")
    NOMINATIM_DOMAIN = os.environ.get("NOMINATIM_DOMAIN", "")
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    # Empty: the default tiles' credit, "© OpenStreetMap contributors", in the page's language (templates/_map.html).
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

    # Uploads: private, outside static/, served only through the app.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
    MAX_UPLOAD_BYTES = _int("MAX_UPLOAD_MB", 8) * 1024 * 1024
    MAX_CONTENT_LENGTH = _int("MAX_REQUEST_MB", 40) * 1024 * 1024

    # The site's address: every link that leaves the site (e-mails, Stripe's return addresses, the API's
    # absolute URLs) is built from it, never from the request's Host header. Production refuses to start
    # without it; elsewhere it defaults to the development server.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"
    # Host names the site answers to (comma-separated); any other Host header gets a 400. Required in
    # production.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    # How many reverse proxies (nginx, a load balancer) stand in front and set X-Forwarded-For/-Proto: 0 trusts
    # no such header (the client is whoever connected); 1 behind the README's nginx. Rate limits and the
    # sessions' addresses use the client address this gives.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    # Card payments (Stripe Checkout). With no secret key money pledges wait for a transfer staff confirm.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # only to point the library at a test server
    CHECKOUT_MINUTES = _int("CHECKOUT_MINUTES", 30)  # Stripe's shortest Checkout Session life
    PLEDGE_TRANSFER_DAYS = _int("PLEDGE_TRANSFER_DAYS", 14)
    PLEDGES_PER_PAGE = _int("PLEDGES_PER_PAGE", 50)

    # Compression (Flask-Compress, core/compression.py): brotli or gzip, as the browser prefers, for text of at least
    # COMPRESS_MIN_SIZE bytes. Streamed answers and CSV downloads (not a type listed here) are sent as they are.
    COMPRESS_REGISTER = _bool("COMPRESS_RESPONSES", True)
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = [
        "text/html", "text/css", "text/plain", "text/javascript", "application/javascript", "application/json",
        "application/manifest+json", "application/xml", "text/xml", "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = _int("COMPRESS_MIN_SIZE", 500)
    COMPRESS_LEVEL = 6  # gzip
    COMPRESS_BR_LEVEL = 5  # brotli: a tenth smaller than level 4 for a page, still well under a millisecond
    COMPRESS_STREAMS = False

    NEEDS_PER_PAGE = _int("NEEDS_PER_PAGE", 20)
    CLAIM_STALE_DAYS = _int("CLAIM_STALE_DAYS", 7)
    OFFICES_PER_PAGE = _int("OFFICES_PER_PAGE", 20)
    AUDIT_PER_PAGE = _int("AUDIT_PER_PAGE", 50)


class TestingConfig(Config):
    """Used by the test suite: a throwaway database, cheap hashing, no real mail."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    MAIL_SUPPRESS_SEND = True
    RATELIMIT_STORAGE_URI = "memory://"
    GEOCODER = "offline"
    STRIPE_SECRET_KEY = ""  # tests that take cards point the app at the fake Stripe server themselves
    STRIPE_WEBHOOK_SECRET = ""
    STRIPE_API_BASE = ""
    PUBLIC_CACHE_SECONDS = 0  # tests of the cache turn it on; others read what they just wrote


def config_for(name: str | None) -> type[Config]:
    """Pick the settings class for an environment name."""
    name = name or os.environ.get("SOCIAL_WINDOW_ENV", "development")
    return TestingConfig if name == "testing" else Config


def is_production(config: dict) -> bool:
    """True when the app runs as the real service."""
    return config.get("ENV_NAME") == "production"
