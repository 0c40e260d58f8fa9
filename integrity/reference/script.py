"""Serbian script handling: search folding and Latin <-> Cyrillic transliteration.

``fold`` is the one normal form used wherever text is matched regardless of script and
diacritics (public search, the leak check): ``fold("Žmirić") == fold("Жмирић") == fold("zmiric")``.

``to_cyrillic`` and ``to_latin`` switch the script of Serbian text for the web pages. Serbian
Latin and Cyrillic map one to one except for three digraphs (lj, nj, dž) that are single letters
in Cyrillic; the rare words in which those pairs are two letters (``konjunkcija`` ->
``конјункција``, ``nadživeti`` -> ``надживети``) are handled by a small list of stems. Words that
are not Serbian (letters q, w, x, y or foreign diacritics), URLs, e-mail addresses, domain names
and Roman numerals are left in Latin, as Serbian Cyrillic typography does.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["find_folded", "fold", "fold_with_index", "slugify", "to_cyrillic", "to_latin"]

# --- Cyrillic -> Latin (Serbian, with diacritics) -------------------------------------------

_CYR_TO_LAT_LOWER = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š",
}  # fmt: skip

#: Serbian Cyrillic letters (lower and upper case): the 30 letters of the alphabet.
SERBIAN_CYRILLIC = frozenset(_CYR_TO_LAT_LOWER) | frozenset(c.upper() for c in _CYR_TO_LAT_LOWER)
#: Serbian Latin letters (lower and upper case): a-z without q, w, x, y, plus č ć đ š ž.
SERBIAN_LATIN = frozenset("abcdefghijklmnoprstuvzčćđšžABCDEFGHIJKLMNOPRSTUVZČĆĐŠŽ")

# --- Folding ------------------------------------------------------------------------------------

# Cyrillic (Serbian first, then the other common Cyrillic letters so that names quoted from
# Russian, Ukrainian, Macedonian, Bulgarian or Montenegrin text still fold) to plain ASCII.
_FOLD_CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "c", "џ": "dz", "ш": "s",
    # others
    "й": "j", "ё": "e", "э": "e", "ы": "y", "ъ": "", "ь": "", "я": "ja", "ю": "ju", "щ": "sc",
    "є": "je", "і": "i", "ї": "ji", "ґ": "g", "ѓ": "dj", "ќ": "c", "ѕ": "dz", "ў": "u",
}  # fmt: skip

# Latin letters that Unicode decomposition does not strip to ASCII.
_FOLD_LATIN = {
    "đ": "dj", "ð": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i", "þ": "th",
    "ŀ": "l", "ħ": "h", "ŧ": "t",
}  # fmt: skip


def _fold_char(ch: str) -> str:
    out = []
    for c in ch.lower():
        if c in _FOLD_CYR:
            out.append(_FOLD_CYR[c])
            continue
        if c in _FOLD_LATIN:
            out.append(_FOLD_LATIN[c])
            continue
        for d in unicodedata.normalize("NFKD", c):
            if unicodedata.combining(d):
                continue
            d = d.lower()
            out.append(_FOLD_CYR.get(d) or _FOLD_LATIN.get(d) or d)
    return "".join(out)


def fold_with_index(text: str) -> tuple[str, tuple[int, ...]]:
    """Fold ``text`` and return, for every character of the result, its offset in ``text``.

    The index lets a caller that matched in folded text point at the original span.
    """
    out: list[str] = []
    index: list[int] = []
    pending_space = -1  # offset where a run of whitespace not yet emitted began
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":  # soft hyphen, zero-width space/joiner, BOM
            continue
        for c in ch if ch.isspace() else _fold_char(ch):
            if c.isspace():
                if pending_space < 0:
                    pending_space = i
                continue
            if pending_space >= 0:
                if out:
                    out.append(" ")
                    index.append(pending_space)
                pending_space = -1
            out.append(c)
            index.append(i)
    return "".join(out), tuple(index)


def fold(text: str) -> str:
    """The search and leak-check normal form of ``text``.

    Serbian Cyrillic is mapped to Latin, diacritics are stripped (č ć -> c, š -> s, ž -> z,
    dž -> dz, đ -> dj, so ``Đorđević``, ``Djordjevic`` and ``Ђорђевић`` fold alike), the text is
    lower-cased, invisible format characters (soft hyphen, zero-width space) are removed and runs
    of whitespace become one space, with none at either end. Punctuation is kept.
    """
    return fold_with_index(text)[0]


def find_folded(haystack: str, needle: str, *, whole_words: bool = False) -> list[tuple[int, int]]:
    """Every non-overlapping occurrence of ``needle`` in ``haystack``, compared folded.

    Returns ``(start, end)`` offsets into the original ``haystack``. With ``whole_words`` a match
    must not be preceded or followed by a letter or digit.
    """
    folded_needle = fold(needle)
    if not folded_needle:
        return []
    folded, index = fold_with_index(haystack)
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        pos = folded.find(folded_needle, start)
        if pos < 0:
            return spans
        end = pos + len(folded_needle)
        if whole_words and (
            (pos > 0 and folded[pos - 1].isalnum()) or (end < len(folded) and folded[end].isalnum())
        ):
            start = pos + 1
            continue
        spans.append((index[pos], index[end - 1] + 1))
        start = end


def slugify(text: str) -> str:
    """A lowercase ASCII slug: ``fold`` then runs of anything but a-z and 0-9 become ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


# --- Cyrillic -> Latin ----------------------------------------------------------------------------


_LETTERS = re.compile(r"[^\W\d_]+")


def _last_word(text: str) -> str:
    words = _LETTERS.findall(text[-64:])
    return words[-1] if words else ""


def _first_word(text: str) -> str:
    m = _LETTERS.search(text[:64])
    return m.group(0) if m else ""


def to_latin(text: str) -> str:
    """Serbian Cyrillic to Serbian Latin; anything else is kept as it is.

    The digraph letters follow the case of the word: ``Љубовија`` -> ``Ljubovija``,
    ``ЉУБОВИЈА`` -> ``LJUBOVIJA``.
    """
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        lower = ch.lower()
        lat = _CYR_TO_LAT_LOWER.get(lower)
        if lat is None:
            out.append(ch)
            continue
        if ch == lower:
            out.append(lat)
            continue
        if len(lat) == 1:
            out.append(lat.upper())
            continue
        # Љ, Њ, Џ: all capitals inside an all-capital word, else title case.
        nxt = text[i + 1] if i + 1 < n else ""
        prev = text[i - 1] if i > 0 else ""
        if nxt.isalpha():
            all_caps = nxt.isupper()
        elif prev.isalpha():
            all_caps = prev.isupper()
        else:  # a one-letter word (an initial, "Љ."): follow the neighbouring words
            around = [w for w in (_last_word(text[:i]), _first_word(text[i + 1 :])) if w]
            all_caps = bool(around) and all(w.isupper() for w in around) and any(len(w) > 1 for w in around)
        out.append(lat.upper() if all_caps else lat[0].upper() + lat[1:])
    return "".join(out)


# --- Latin -> Cyrillic ----------------------------------------------------------------------------

_LAT_TO_CYR_LOWER = {
    "a": "а", "b": "б", "c": "ц", "č": "ч", "ć": "ћ", "d": "д", "đ": "ђ", "e": "е", "f": "ф",
    "g": "г", "h": "х", "i": "и", "j": "ј", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о",
    "p": "п", "r": "р", "s": "с", "š": "ш", "t": "т", "u": "у", "v": "в", "z": "з", "ž": "ж",
}  # fmt: skip
_DIGRAPHS = {"lj": "љ", "nj": "њ", "dž": "џ"}

# Stems in which n+j or d+ž are two letters, not the digraph (lower case, diacritics kept).
# Each entry: (stem, offset of the pair's first letter within the stem).
_SPLIT_STEMS = (
    ("konjug", 2),  # konjugacija
    ("konjunk", 2),  # konjunkcija, konjunktura, konjunktivitis
    ("vanjezi", 2),  # vanjezički
    ("vanjugoslov", 2),
    ("panjugoslov", 2),
    ("nadživ", 2),  # nadživeti
    ("nadžnje", 2),  # nadžnjeti
    ("nadžup", 2),
    ("podžanr", 2),
    ("podžup", 2),  # podžupan
)

_PROTECTED = re.compile(
    r"""
    (?:https?://|ftp://|www\.)\S+                              # URLs
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                             # e-mail addresses
    | \b(?:[A-Za-z0-9-]+\.)+(?:rs|com|org|net|info|eu|io|me|ba|hr|gov|edu)\b  # domain names
    | \b[\w-]+\.(?:pdf|png|jpe?g|gif|webp|tiff?|docx?|xlsx?|odt|ods|txt|csv|json|xml|zip|atom)\b  # file names
    | \b[A-Za-z]+(?:-[A-Za-z]*\d[\w]*)+\b                      # codes: SHA-256, UTF-8, IN-2026-0042
    | \b(?=[A-Za-z_]*\d)(?=\w*[A-Za-z])\w+\b                 # letters with digits: sha256, Ed25519, hex
    | \b[A-Za-z]+_\w+\b                                     # identifiers: key_id, sha256_salt
    | \b(?:SHA|PDF|PNG|JPEG|GIF|HTML|HTTPS?|URL|API|JSON|CSV|XML|RFC|TOTP|QR|UUID|OCR|EXIF|GPS|RSS|ID)\b
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # hyphenated compounds are one word
_ROMAN = re.compile(r"X{0,3}(?:IX|IV|V?I{0,3})")


def _word_to_cyrillic(word: str) -> str:
    if not all(c in SERBIAN_LATIN or c in "'’-" for c in word):
        return word  # foreign word (q, w, x, y, other diacritics) or already Cyrillic
    if len(word) >= 2 and _ROMAN.fullmatch(word):
        return word  # Roman numeral: II, IV, XXI
    lower = word.lower()
    split_at: set[int] = set()
    for stem, offset in _SPLIT_STEMS:
        pos = lower.find(stem)
        while pos >= 0:
            split_at.add(pos + offset)
            pos = lower.find(stem, pos + 1)
    out: list[str] = []
    i = 0
    n = len(word)
    while i < n:
        pair = lower[i : i + 2]
        if pair in _DIGRAPHS and i not in split_at:
            cyr = _DIGRAPHS[pair]
            out.append(cyr.upper() if word[i].isupper() else cyr)
            i += 2
            continue
        ch = word[i]
        cyr = _LAT_TO_CYR_LOWER.get(ch.lower(), ch)
        out.append(cyr.upper() if ch.isupper() else cyr)
        i += 1
    return "".join(out)


def _plain_to_cyrillic(text: str) -> str:
    return _WORD.sub(lambda m: _word_to_cyrillic(m.group(0)), text)


def to_cyrillic(text: str) -> str:
    """Serbian Latin to Serbian Cyrillic.

    ``Ljubovija`` and ``LJUBOVIJA`` -> ``Љубовија`` / ``ЉУБОВИЈА``; ``Đorđe`` -> ``Ђорђе``.
    URLs, e-mail and domain names, Roman numerals and words that are not Serbian Latin (with q,
    w, x, y or non-Serbian diacritics, or already Cyrillic) are left unchanged. ASCII ``dj`` is
    not read as ``đ``: it is two letters in correct Serbian Latin.
    """
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    last = 0
    for m in _PROTECTED.finditer(text):
        out.append(_plain_to_cyrillic(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_plain_to_cyrillic(text[last:]))
    return "".join(out)
