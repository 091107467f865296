"""The catalogue's card is written flat for speed (templates/needs/_macros.html): each of its pieces must stay,
byte for byte but for the spaces between tags, what the shared macros write for the same need."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import render_template_string
from flask_babel import force_locale

from marketplace.needs.models import NeedStatus, Urgency
from tests.factories import NeedFactory, NeedItemFactory

PIECES = ('{% from "needs/_macros.html" import badges, money_progress, volunteer_progress, goods_summary, '
          'verified_line, card %}')


def squeezed(html: str) -> str:
    return " ".join(html.split())


def needs_of_every_shape(db_session):
    plain = NeedFactory(open=True, money_goal=None, volunteer_slots=0)
    money = NeedFactory(open=True, urgency=Urgency.CRITICAL, urgency_rank=0, money_goal=12_345_600,
                        money_raised=2_000_000)
    helpers = NeedFactory(open=True, status=NeedStatus.IN_PROGRESS, money_goal=None, volunteer_slots=3, slots_filled=1)
    goods = NeedFactory(open=True, money_goal=None, verified_at=datetime(2026, 3, 12, 9, 0, tzinfo=timezone.utc))
    for name, unit in (("Рюкзак", "шт."), ("Тетради", None), ("Куртка", "шт."), ("Сапоги", "пар")):
        NeedItemFactory(need=goods, name=name, unit=unit, quantity=4, quantity_pledged=1)
    no_office = NeedFactory(open=True, office=None, verified_at=datetime(2026, 5, 1, tzinfo=timezone.utc))
    db_session.flush()
    for need in (plain, money, helpers, goods, no_office):
        db_session.refresh(need)
    return [plain, money, helpers, goods, no_office]


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_each_piece_of_the_card_is_what_its_macro_writes(app, db_session, language):
    needs = needs_of_every_shape(db_session)
    with app.test_request_context("/needs/"), force_locale(language):
        for need in needs:
            card = squeezed(render_template_string(PIECES + "{{ card(need, 2.5) }}", need=need))
            pieces = {
                "badges": render_template_string(PIECES + "{{ badges(need) }}", need=need),
                "money": render_template_string(PIECES + '{{ money_progress(need, "need-" ~ need.id) }}', need=need),
                "volunteers": render_template_string(PIECES + '{{ volunteer_progress(need, "need-" ~ need.id) }}',
                                                     need=need),
                "goods": render_template_string(PIECES + "{{ goods_summary(need) }}", need=need),
                "verified": render_template_string(PIECES + '<p class="muted">{{ verified_line(need) }}</p>',
                                                   need=need),
            }
            for name, piece in pieces.items():
                assert squeezed(piece) in card, (name, need.id, squeezed(piece), card)
            shown = [name for name, piece in pieces.items() if squeezed(piece)]
            assert "badges" in shown and "verified" in shown
    assert [bool(need.items) for need in needs] == [False, False, False, True, False]
