"""The catalogue's labels and options are translated once per language and process, not on every view, and
say exactly what their translations say."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.needs import labels
from marketplace.needs.forms import catalogue_choices
from marketplace.needs.models import Category, NeedStatus, Urgency


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_labels_read_once_say_what_the_translations_say(app, language):
    with app.test_request_context(), force_locale(language):
        assert [labels.category_label(c) for c in Category] == [str(labels.CATEGORY_LABELS[c]) for c in Category]
        assert [labels.urgency_label(u) for u in Urgency] == [str(labels.URGENCY_LABELS[u]) for u in Urgency]
        assert [labels.status_label(s) for s in NeedStatus] == [str(labels.STATUS_LABELS[s]) for s in NeedStatus]
        assert [labels.kind_label(k) for k in labels.KINDS] == [str(labels.KIND_LABELS[k]) for k in labels.KINDS]


def test_the_second_view_in_a_language_translates_no_option_again(client, db_session):
    client.get("/needs/", headers={"Accept-Language": "kk"})
    options, words = catalogue_choices.cache_info(), labels.words_in.cache_info()
    html = client.get("/needs/", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert catalogue_choices.cache_info().misses == options.misses
    assert catalogue_choices.cache_info().hits > options.hits
    assert labels.words_in.cache_info().misses == words.misses
    assert "Барлық санаттар" in html  # the options are the Kazakh ones
    english = client.get("/needs/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "All categories" in english


@pytest.mark.parametrize("query", ["", "?category=food&region=almaty-city&radius=25&urgency=critical&kind=goods",
                                   "?category=nonsense"])
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_kept_options_are_what_wtforms_itself_writes(app, language, query):
    """The catalogue's selects, written once per list and chosen value, are the very HTML WTForms' own Select
    writes for the same field, with the visitor's choice selected."""
    from wtforms.widgets import Select

    from marketplace.needs.forms import CatalogueForm

    with app.test_request_context(f"/needs/{query}"), force_locale(language):
        from flask import request

        form = CatalogueForm(request.args)
        form.validate()
        form.drop_invalid()
        for name in ("radius", "category", "kind", "urgency", "region"):
            field = form[name]
            assert str(field()) == str(Select()(field)), name
            assert str(field(class_="x")) == str(Select()(field, class_="x")), name
        if "food" in query:
            assert '<option selected value="food">' in str(form.category())


def test_escaping_is_kept_in_options(app):
    from markupsafe import escape

    from marketplace.needs.forms import _options_html

    html = str(_options_html((("", "<b>all</b>"), ("a&b", "A & B")), "a&b"))
    assert html == f'<option value="">{escape("<b>all</b>")}</option><option selected value="a&amp;b">A &amp; B</option>'
