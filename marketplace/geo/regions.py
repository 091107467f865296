"""The twenty first-level units of Kazakhstan (17 regions and 3 cities), as drawn since June 2022."""

from __future__ import annotations

from dataclasses import dataclass

LOCALES = ("ru", "kk", "en")
DEFAULT_LOCALE = "ru"


@dataclass(frozen=True, slots=True)
class Region:
    """One region or city of republican significance, with its names in ru, kk and en."""

    code: str
    ru: str
    kk: str
    en: str
    is_city: bool = False

    def name(self, locale: str | object | None = None) -> str:
        """The region's name in the given locale, falling back to Russian."""
        return getattr(self, language_of(locale))


# Cities of republican significance first, then the regions in Russian alphabetical order, as
# official lists print them. Codes are stable identifiers stored in the database: never rename one.
REGIONS: tuple[Region, ...] = (
    Region("astana", "Астана", "Астана", "Astana", is_city=True),
    Region("almaty-city", "Алматы", "Алматы", "Almaty", is_city=True),
    Region("shymkent", "Шымкент", "Шымкент", "Shymkent", is_city=True),
    Region("abai", "Область Абай", "Абай облысы", "Abai Region"),
    Region("akmola", "Акмолинская область", "Ақмола облысы", "Akmola Region"),
    Region("aktobe", "Актюбинская область", "Ақтөбе облысы", "Aktobe Region"),
    Region("almaty", "Алматинская область", "Алматы облысы", "Almaty Region"),
    Region("atyrau", "Атырауская область", "Атырау облысы", "Atyrau Region"),
    Region("east-kazakhstan", "Восточно-Казахстанская область", "Шығыс Қазақстан облысы", "East Kazakhstan Region"),
    Region("jambyl", "Жамбылская область", "Жамбыл облысы", "Jambyl Region"),
    Region("jetisu", "Область Жетысу", "Жетісу облысы", "Jetisu Region"),
    Region("west-kazakhstan", "Западно-Казахстанская область", "Батыс Қазақстан облысы", "West Kazakhstan Region"),
    Region("karaganda", "Карагандинская область", "Қарағанды облысы", "Karaganda Region"),
    Region("kostanay", "Костанайская область", "Қостанай облысы", "Kostanay Region"),
    Region("kyzylorda", "Кызылординская область", "Қызылорда облысы", "Kyzylorda Region"),
    Region("mangystau", "Мангистауская область", "Маңғыстау облысы", "Mangystau Region"),
    Region("pavlodar", "Павлодарская область", "Павлодар облысы", "Pavlodar Region"),
    Region("north-kazakhstan", "Северо-Казахстанская область", "Солтүстік Қазақстан облысы", "North Kazakhstan Region"),
    Region("turkistan", "Туркестанская область", "Түркістан облысы", "Turkistan Region"),
    Region("ulytau", "Область Улытау", "Ұлытау облысы", "Ulytau Region"),
)

REGION_CODES: frozenset[str] = frozenset(region.code for region in REGIONS)
_BY_CODE: dict[str, Region] = {region.code: region for region in REGIONS}

COUNTRY_NAME: dict[str, str] = {"ru": "Казахстан", "kk": "Қазақстан", "en": "Kazakhstan"}


def language_of(locale: str | object | None) -> str:
    """Reduce 'kk_KZ', 'ru-RU' or a babel Locale to one of LOCALES; anything else reads as Russian."""
    language = str(locale or DEFAULT_LOCALE).replace("-", "_").split("_")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


def get_region(code: str) -> Region:
    """The region with this code; KeyError for an unknown code."""
    return _BY_CODE[code]


def region_name(code: str, locale: str | object | None = None) -> str:
    """The name of the region with this code in the given locale (Russian by default)."""
    return _BY_CODE[code].name(locale)


def region_choices(locale: str | object | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs in REGIONS order, ready for a WTForms SelectField."""
    return [(region.code, region.name(locale)) for region in REGIONS]


def country_name(locale: str | object | None = None) -> str:
    """'Kazakhstan' in the given locale."""
    return COUNTRY_NAME[language_of(locale)]
