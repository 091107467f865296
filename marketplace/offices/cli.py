"""`flask offices import FILE` and `flask offices export [FILE]`."""
from __future__ import annotations

import io
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.offices import csv_io
from marketplace.offices.models import Office

offices_cli = AppGroup("offices", help="Import and export reception offices as CSV.")

locale_option = click.option(
    "--locale", default=None, metavar="LANG",
    help="Language of the messages (ru, kk, en); the site's default language when not given.",
)


@offices_cli.command("import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default=None,
              help="The file's encoding; by default UTF-8 (with or without BOM), else Windows-1251.")
@locale_option
def import_command(path: str, encoding: str | None, locale: str | None) -> None:
    """Create or update offices from a CSV file (columns as `export` writes them; ',' or ';')."""
    text = _read_text(path, encoding)
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        total = csv_io.count_records(io.StringIO(text))
        with click.progressbar(length=total, label=_("Importing offices"), file=sys.stderr) as bar:
            report = csv_io.import_offices(io.StringIO(text), on_row=lambda _line: bar.update(1))
        if report.applied:
            db.session.commit()
        else:
            db.session.rollback()
        click.echo(_("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, %(errors)d errors",
                     created=report.created, updated=report.updated, unchanged=report.unchanged,
                     errors=len(report.errors)))
        for error in report.errors:
            click.echo(_("line %(line)d: %(message)s", line=error.line, message=error.message), err=True)
    if report.errors:
        sys.exit(1)


@offices_cli.command("export")
@click.argument("path", metavar="[FILE]", default="-", type=click.Path(dir_okay=False, allow_dash=True))
@locale_option
def export_command(path: str, locale: str | None) -> None:
    """Write every office as CSV to FILE, or to standard output when FILE is '-' or not given."""
    offices = db.session.scalars(select(Office).order_by(Office.code))
    if path == "-":
        csv_io.export_offices(sys.stdout, offices)
        return
    # The BOM lets Excel recognise UTF-8; the import accepts it.
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        written = csv_io.export_offices(stream, offices)
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        click.echo(_("%(count)d offices written to %(path)s", count=written, path=path), err=True)


def _read_text(path: str, encoding: str | None) -> str:
    """The file's text; files saved by Excel on Russian Windows are often Windows-1251, not UTF-8."""
    with open(path, "rb") as stream:
        raw = stream.read()
    if encoding:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise click.UsageError(str(exc)) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1251")
