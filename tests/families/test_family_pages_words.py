"""What the new-user walk at 360 px found on the family's pages, as the family reads them in Russian and Kazakh:
one tick on a badge, goods progress counted by lines (never a sum of pieces, kilograms and litres), each
progress named once."""
from __future__ import annotations

import re

import pytest

from tests.factories import HouseholdFactory, NeedFactory, NeedItemFactory


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def household(db_session, office):
    return HouseholdFactory(office=office, verified=True)


@pytest.fixture
def family(client, login_as, household):
    login_as(household.user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    return client


def test_the_household_badges_carry_one_tick_each(family):
    """The stylesheet's `.badge-ok::before` draws the tick: the words of a badge carry none of their own."""
    page = family.get("/family/household").get_data(as_text=True)
    badges = re.findall(r'<span class="badge badge-ok">(.*?)</span>', page, re.S)
    assert "Проверена" in " ".join(badges) and "Дано" in " ".join(badges), badges
    assert all("✓" not in words for words in badges), badges


@pytest.fixture
def groceries(household):
    """A request for goods in four different units, the second line pledged in full."""
    need = NeedFactory(household=household, office=household.office, open=True, money_goal=None,
                       volunteer_slots=1, title="Продуктовый набор")
    for name, quantity, pledged, unit in [("Мука, мешок 25 кг", 1, 0, "шт."), ("Крупа гречневая", 10, 10, "кг"),
                                           ("Масло подсолнечное", 5, 0, "л"), ("Сахар", 5, 0, "кг")]:
        NeedItemFactory(need=need, name=name, quantity=quantity, quantity_pledged=pledged, unit=unit)
    return need


@pytest.mark.parametrize("language, goods, volunteers", [
    ("ru", "Вещи: полностью обещаны 1 из 4 позиций", "Волонтёры: найдено 0 из 1"),
    ("kk", "Заттар: 4 позицияның 1 толық уәде етілді", "Волонтерлер: 1 ішінен 0 табылды"),
], ids=["ru", "kk"])
def test_goods_progress_counts_lines_and_names_each_progress_once(family, groceries, language, goods, volunteers):
    family.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    page = text_of(family.get(f"/family/needs/{groceries.id}"))
    assert goods in page and volunteers in page
    assert "из 21" not in page and "21 заттан" not in page  # 1 шт. + 10 кг + 5 л + 5 кг is no sum of anything
    assert "Волонтёры: волонтёров" not in page and "Волонтерлер: 1 волонтерден" not in page
    listed = text_of(family.get("/family/needs"))
    assert ("вещи: полностью обещаны 1 из 4 позиций" if language == "ru"
            else "заттар: 4 позицияның 1 толық уәде етілді") in listed
