"""Social Window: the application factory, built from small register steps."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask

from marketplace.core.compression import register_compression
from marketplace.core.config import INSECURE_SECRET_KEYS, ROOT, config_for, is_production
from marketplace.core.requests_guard import register_request_guard
from marketplace.core.static_files import register_static_files


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app for an environment ('development', 'testing', 'production')."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_for(config_name))
    app.config.update(overrides)
    app.json.ensure_ascii = False  # Cyrillic and Kazakh letters stay readable in JSON
    check_production_settings(app)
    register_compression(app)  # first: its after-request hook then runs last, on the final body
    register_proxies(app)
    register_request_guard(app)
    configure_logging(app)
    register_database(app)
    register_extensions(app)
    register_security(app)
    register_static_files(app)
    register_i18n_step(app)
    register_policies(app)
    register_listeners(app)
    register_audit_labels(app)
    register_blueprints(app)
    register_errorhandlers_step(app)
    register_cli(app)
    return app


def check_production_settings(app: Flask) -> None:
    """Refuse to run the real service with a guessable secret or insecure cookies."""
    if not is_production(app.config):
        return
    key = app.config.get("SECRET_KEY") or ""
    if key in INSECURE_SECRET_KEYS or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(python -c "import secrets; print(secrets.token_hex(32))")'
        )
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True
    public_url = app.config.get("PUBLIC_URL") or ""
    hosts = app.config.get("TRUSTED_HOSTS") or []
    if not public_url.startswith(("https://", "http://")) or not hosts:
        raise RuntimeError(
            "PUBLIC_URL (e.g. https://social-window.kz) and TRUSTED_HOSTS (e.g. social-window.kz) must be set in "
            "production: links in e-mails are built from PUBLIC_URL, and requests for any other host are refused"
        )
    if urlsplit(public_url).hostname not in hosts:
        raise RuntimeError(f"the host of PUBLIC_URL ({public_url}) must be one of TRUSTED_HOSTS ({', '.join(hosts)})")


def register_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from the headers they set
    (X-Forwarded-For, X-Forwarded-Proto); with none, such headers are ignored, as anyone could send them."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    if not app.config.get("PUBLIC_URL"):
        app.config["PUBLIC_URL"] = app.config["DEVELOPMENT_PUBLIC_URL"]
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def configure_logging(app: Flask) -> None:
    """Log to stderr at INFO so that development e-mails and audit warnings are visible."""
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
    app.logger.setLevel(logging.INFO)


def register_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic; make the SQLite folder and its transaction handling sane."""
    from marketplace.core import database
    from marketplace.core.extensions import db, migrate

    database.prepare_sqlite(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    import marketplace.models  # noqa: F401  (every table known to Alembic)

    with app.app_context():
        database.configure_engine(db.engine)
    database.end_reads_with_commit(app)


def register_extensions(app: Flask) -> None:
    """Bind login, CSRF, mail, rate limits and the geocoder."""
    from marketplace import geo
    from marketplace.accounts import sessions
    from marketplace.core import public_cache
    from marketplace.core.extensions import csrf, limiter, login_manager, mail

    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    sessions.init_login(app, login_manager)
    geo.init_app(app)
    public_cache.init_app(app)


def register_security(app: Flask) -> None:
    """Security headers (CSP without any third-party script) and the authorization check."""
    from marketplace.core import authz
    from marketplace.core.caching import register_cache_rules
    from marketplace.core.extensions import talisman

    tile_host = app.config["MAP_TILE_URL"].split("/")[2] if "://" in app.config["MAP_TILE_URL"] else ""
    tile_hosts = [tile_host.replace("{s}.", "*.")] if tile_host else []
    # A card pledge's form is answered with a redirect to Stripe's hosted checkout, which browsers check
    # against form-action too; a test Stripe serves its checkout page from its API address.
    checkout_origins = ["https://checkout.stripe.com"]
    if app.config.get("STRIPE_API_BASE"):
        checkout_origins.append(app.config["STRIPE_API_BASE"].rstrip("/"))
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        content_security_policy={
            "default-src": "'self'",
            "img-src": ["'self'", "data:", *tile_hosts],
            "script-src": "'self'",
            "style-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": ["'self'", *checkout_origins],
            "frame-ancestors": "'none'",
        },
        referrer_policy="same-origin",
    )
    app.after_request(authz.check_request_was_authorized)
    register_cache_rules(app)


def register_i18n_step(app: Flask) -> None:
    """Flask-Babel with the locale chosen per request, and the formatting filters."""
    from marketplace.core.extensions import babel
    from marketplace.core.i18n import register_i18n, select_locale

    babel.init_app(app, locale_selector=select_locale)
    register_i18n(app)


def register_policies(app: Flask) -> None:
    """Every `policies.py` registers its actions with `@policy`; nothing else registers any."""
    import marketplace.accounts.policies  # noqa: F401
    import marketplace.core.audit.policies  # noqa: F401
    import marketplace.families.policies  # noqa: F401
    import marketplace.moderation.policies  # noqa: F401
    import marketplace.needs.policies  # noqa: F401
    import marketplace.notifications.policies  # noqa: F401
    import marketplace.offices.policies  # noqa: F401
    import marketplace.pledges.policies  # noqa: F401
    import marketplace.volunteering.policies  # noqa: F401


def register_listeners(app: Flask) -> None:
    """How domains react to each other's changes (signals) and what people are told about them."""
    import marketplace.families.notices  # noqa: F401  (a family hears of its household's verification)
    import marketplace.moderation.listeners  # noqa: F401  (flags follow their family to a new office)
    import marketplace.needs.listeners  # noqa: F401  (needs follow their household)
    import marketplace.needs.listing  # noqa: F401  (the catalogue's flag follows needs, households and accounts)
    import marketplace.needs.notices  # noqa: F401  (a family hears of its requests' changes)
    import marketplace.pledges.listeners  # noqa: F401  (a closed need settles its pledges)
    import marketplace.pledges.notices  # noqa: F401  (patrons hear of their pledges)
    import marketplace.volunteering.listeners  # noqa: F401  (a cancelled need ends its claims)
    import marketplace.volunteering.notices  # noqa: F401  (volunteers and families hear of claims)


def register_audit_labels(app: Flask) -> None:
    """What the audit log's codes are called: every domain registers its own actions, states and fields with
    `core.audit.labels`, and the `audit_words` filter puts an entry into the reader's words."""
    from marketplace.core.audit.words import register_audit_words

    import marketplace.accounts.audit_labels  # noqa: F401
    import marketplace.families.audit_labels  # noqa: F401
    import marketplace.files.audit_labels  # noqa: F401
    import marketplace.moderation.audit_labels  # noqa: F401
    import marketplace.needs.audit_labels  # noqa: F401
    import marketplace.offices.audit_labels  # noqa: F401
    import marketplace.pledges.audit_labels  # noqa: F401
    import marketplace.privacy.audit_labels  # noqa: F401
    import marketplace.volunteering.audit_labels  # noqa: F401

    register_audit_words(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per domain (a few more for separate audiences), and every module that adds routes to one.

    A route that lives in another domain's package stays on its old blueprint, so that no address changes.
    """
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.admin.views import bp as admin_bp
    from marketplace.api.blueprint import bp as api_bp
    from marketplace.families.blueprint import bp as families_bp
    from marketplace.files.blueprint import bp as files_bp
    from marketplace.main.views import bp as main_bp
    from marketplace.moderation.blueprint import bp as moderation_bp
    from marketplace.needs.blueprint import bp as needs_bp
    from marketplace.notifications.views import bp as notifications_bp
    from marketplace.offices.views import bp as offices_bp
    from marketplace.pledges.staff_views import bp as pledges_staff_bp
    from marketplace.pledges.views import bp as pledges_bp
    from marketplace.pledges.webhooks import bp as payments_bp
    from marketplace.volunteering.family_views import bp as family_tasks_bp
    from marketplace.volunteering.staff_views import bp as volunteering_staff_bp
    from marketplace.volunteering.views import bp as volunteering_bp

    import marketplace.accounts.email_views  # noqa: F401  (a new e-mail address, on accounts)
    import marketplace.accounts.token_views  # noqa: F401  (API tokens, on accounts)
    import marketplace.admin.offices_views  # noqa: F401  (offices, on admin)
    import marketplace.api.auth  # noqa: F401  (who calls the API: a token or the session, and its CSRF check)
    import marketplace.api.claims  # noqa: F401  (a volunteer's claims, on the API)
    import marketplace.api.views  # noqa: F401  (the catalogue and the OpenAPI document, on the API)
    import marketplace.families.file_views  # noqa: F401  (a stored file, on files)
    import marketplace.families.views  # noqa: F401  (the household, on families)
    import marketplace.moderation.flag_views  # noqa: F401  (flags from a need's page, on needs)
    import marketplace.moderation.review_views  # noqa: F401  (the decision screens, on moderation)
    import marketplace.moderation.views  # noqa: F401  (the queue and flags, on moderation)
    import marketplace.needs.family_views  # noqa: F401  (the family's requests, on families)
    import marketplace.needs.views  # noqa: F401  (the catalogue and a need's page, on needs)
    import marketplace.pledges.family_views  # noqa: F401  (goods the family received, on pledges_staff)
    import marketplace.privacy.views  # noqa: F401  (a family's export and erasure, on families and moderation)
    import marketplace.volunteering.dispatch_views  # noqa: F401  (the dispatch plan, on volunteering_staff)
    import marketplace.volunteering.vetting_views  # noqa: F401  (vetting, on volunteering_staff)

    for bp in (main_bp, accounts_bp, offices_bp, admin_bp, families_bp, needs_bp, moderation_bp, files_bp,
               notifications_bp, api_bp, volunteering_bp, volunteering_staff_bp, family_tasks_bp, payments_bp,
               pledges_bp, pledges_staff_bp):
        app.register_blueprint(bp)


def register_errorhandlers_step(app: Flask) -> None:
    from marketplace.core.errors import register_errorhandlers

    register_errorhandlers(app)


def register_cli(app: Flask) -> None:
    """`flask create-admin`, `flask seed-demo`, `flask offices import|export`."""
    from marketplace.cli import register_commands

    register_commands(app)
