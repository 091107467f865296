"""Folding of place names into one comparable form across Russian, Kazakh and Latin spellings."""

from __future__ import annotations

import re
import unicodedata

# Kazakh letters folded onto their nearest Russian ones, because people without a Kazakh keyboard type
# "Оскемен" for "Өскемен"; ё is folded for the same reason, and the soft and hard signs are often dropped.
_CYRILLIC_FOLD = str.maketrans(
    {
        "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
        "ё": "е", "ь": None, "ъ": None,
    }
)
# Latin letters that Unicode decomposition does not reduce to ASCII; Kazakh and Turkish ı is the
# sound of Russian ы, spelt y in the usual romanisation (Shımkent, Shymkent).
_LATIN_FOLD = str.maketrans({"ı": "y", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})
# Apostrophes inside a name ("Akkol’", "Qo'stanay") join rather than separate its parts.
_APOSTROPHES = re.compile(r"['’ʼʻ`´]")
_NON_WORD = re.compile(r"[^0-9a-zа-я]+")

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
KAZAKH_LETTERS = frozenset("әғқңөұүһі")


def normalise(text: str) -> str:
    """Lower-case, fold Kazakh letters, ё and Latin diacritics, and reduce punctuation to single spaces."""
    text = _APOSTROPHES.sub("", text.lower()).translate(_CYRILLIC_FOLD).translate(_LATIN_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    # Drop combining marks only after Latin letters: in Cyrillic they would turn "й" into "и".
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and kept[-1].isascii():
            continue
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept))
    # Kazakh Latin spellings (Qostanay, Zhezqazghan) meet the Russian-derived ones (Kostanay, Zhezkazgan).
    text = text.replace("q", "k").replace("gh", "g")
    return _NON_WORD.sub(" ", text).strip()


def tokens(text: str) -> tuple[str, ...]:
    """The normalised words of a text."""
    return tuple(normalise(text).split())
