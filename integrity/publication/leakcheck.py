"""The leak check: does a protected actor's name occur in anything about to be published?

A name is searched in every public text and in what was read of every file to be published (see
``integrity.publication.filecheck``), compared after ``integrity.reference.fold``: regardless of
case and script (Latin or Cyrillic) and with or without diacritics (č ć -> c, š -> s, ž -> z,
dž -> dz; đ matches đ, dj and d).

What counts as an occurrence, and why:

- The full name and every alias, word by word, with any run of whitespace, line breaks, soft
  hyphens, hyphens or dots between the words ("Petar\\nPetrović", "P. Petrović" for the alias
  "P Petrović"), and a word broken across a line with a hyphen ("Petro-\\nvić").
- Whole words only: a match may not touch a letter on either side, so "Ana" is not found in
  "Banana" or "analiza" but is found in "Ana,", "ANA" and "ana_petrovic@example.org" (digits and
  punctuation are boundaries, since addresses and user names leak names too).
- Serbian declension: each word may carry a case ending in place of its own final vowel, or
  after its final consonant (Petrović -> Petrovića, Petroviću, Petrovićem; Marija -> Marije,
  Mariju, Marijom; Jovan -> Jovana; Marko -> Marka; Kovačevski -> Kovačevskog), including the
  possessive -ov/-ev/-in (Marijin) and the fleeting a (Petar -> Petra, Aleksandar -> Aleksandra).
- The surname alone: for a person's name of two or more words, the last word is also searched on
  its own when it has at least four letters, because "Petrović said" identifies a witness as
  surely as the full name. First names alone are not searched (far too common to be a signal);
  add a nickname or a first name as an alias when it identifies the person by itself.
  Organisations (``person=False``) are searched by full name and aliases only.

- Disguises: a name spelt with look-alike letters of another script ("Petrοvić" with a Greek ο,
  "Реtrović" with Cyrillic Р and е; Unicode's confusables table), with digits or signs for letters
  ("Petr0vić", "1vana", "Jov@nović"), spaced out ("P e t r o v i ć", "P.E.T.R.O.V.I.Ć", for words
  of four letters or more), or in English-style spelling (Petrovich, Zhivkovich, Yovanovic,
  Lyubica).
- More Serbian forms: the plural (Petrovići, Petrovićima, Petrovića) and the possessive adjective with its
  endings (Jovanovićeva, Petrovićevog, Marijinom).

The check errs towards reporting: a common noun that is also a protected surname ("Kovač") is
reported, and the reviewer decides. A finding never carries the matched text in its excerpt, so
findings can be logged; the ``name`` field holds the protected name and is kept out of ``repr``.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from confusable_homoglyphs import confusables

from integrity.reference import fold, fold_with_index
from integrity.reference.script import SERBIAN_LATIN

__all__ = ["MASK", "Finding", "ProtectedName", "check_texts", "name_pattern"]

MASK = "█████"
#: Characters of context on each side of a finding in its excerpt.
EXCERPT_CONTEXT = 40
#: Shortest surname searched on its own.
MIN_SURNAME_LETTERS = 4

# Case endings (after folding) that may replace a final vowel or follow a final consonant,
# including the plural (-ima, -ama, -ih) and the possessive adjective in -ov/-ev/-in with its own
# endings (Jovanovićeva, Petrovićevog, Marijinom).
_ENDINGS = (
    *("a", "e", "i", "o", "u", "om", "em", "oj", "og", "im", "ih", "ima", "ama"),
    *(
        f"{possessive}{ending}"
        for possessive in ("ov", "ev", "in")
        for ending in ("", "a", "e", "i", "o", "u", "om", "oj", "og", "oga", "ome", "omu", "im", "ih", "ima")
    ),
)
_VOWELS = frozenset("aeiou")
# Consonants after which an "a" falls out when the word declines: Petar -> Petra, Stanac -> Stanca.
_FLEETING_A_BEFORE = frozenset("rckl")
# Between the words of a name: up to three spaces, hyphens, dots, apostrophes or similar marks.
# fold() has already removed soft hyphens and turned every run of whitespace into one space.
_BETWEEN_WORDS = r"[\s\-\u2010\u2011.'’]{0,3}"
# Inside a word: a hyphen at a line break ("Petro- vić" once whitespace is folded), or PDFium's
# marker for one (U+FFFE, U+0002) in text extracted by other means than ``extract_text``.
_LINE_BREAK = r"(?:[\-\u2010\u2011\ufffe\x02] ?)?"
# Between the letters of a word written spaced out to dodge a search: "P e t r o v i ć", "P.E.T.R".
_SPACED = r"(?:[.\-_*·\u2010\u2011] ?| )"
#: The shortest word also searched spaced out (shorter ones would match ordinary short words).
MIN_SPACED_LETTERS = 4
_LETTER = r"[^\W\d_]"
_WORDS = re.compile(r"[^\W_]+")
# How a folded letter (or pair) may be written besides itself: digits and signs for letters
# ("Petr0vić", "1vana"), English-style spellings of Serbian names (Petrovich, Zhivkovich,
# Yovanovic, Lyubica, Dzhemal), and đ folded to "dj" also written "d".
_UNITS = {
    "dj": "(?:dzh|dj|d)",
    "dz": "(?:dzh|dz|j)",
    "lj": "(?:lj|ly|l)",
    "nj": "(?:nj|ny|n)",
}
_LETTERS = {
    "c": "(?:tch|ch|ts|tz|cz|c)",
    "s": "(?:sch|sh|ss|s|5|\\$)",
    "z": "(?:zh|z)",
    "j": "[jyi]",
    "h": "(?:kh|h)",
    "o": "[o0]",
    "i": "[i1!|]",
    "l": "[l1|]",
    "e": "[e3]",
    "a": "[a4@]",
    "t": "[t7]",
    "b": "[b8]",
    "g": "[g9]",
}


@dataclass(frozen=True, slots=True)
class ProtectedName:
    """One name or alias of an actor whose identity is protected, or of the member who filed the case.

    ``person`` (the default) also searches the surname on its own; set it to false for an
    organisation. ``actor_id`` is None for the member who filed the case.
    """

    actor_id: uuid.UUID | None
    text: str
    person: bool = True


@dataclass(frozen=True, slots=True)
class Finding:
    """A protected name at ``text[start:end]`` of the text at ``location``.

    ``excerpt`` shows the words around it with every protected name in view masked, so it can be
    shown and logged; ``name`` is the protected name that matched (kept out of ``repr``).
    """

    location: str
    actor_id: uuid.UUID | None
    name: str = field(repr=False)
    start: int
    end: int
    excerpt: str
    #: For a finding in a file: the page (from 1), the box around the name (x, y, width, height as
    #: fractions of the page) and what read it ("ocr" or "text_layer").
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    source: str | None = None


def _stems(word: str) -> list[tuple[str, bool]]:
    """(stem, ending required) pairs whose stem plus one of ``_ENDINGS`` spells a form of ``word``."""
    if word[-1] in _VOWELS and len(word) > 1:
        return [(word[:-1], True)]
    stems = [(word, False)]
    if len(word) >= 4 and word[-2] == "a" and word[-1] in _FLEETING_A_BEFORE and word[-3] not in _VOWELS:
        stems.append((word[:-2] + word[-1], True))
    return stems


def _spell(stem: str, gap: str = _LINE_BREAK) -> str:
    """A regex for a folded stem, each letter as it may be written, ``gap`` between letters."""
    parts: list[str] = []
    i = 0
    while i < len(stem):
        unit = stem[i : i + 2]
        if unit in _UNITS:
            parts.append(_UNITS[unit])
            i += 2
        else:
            parts.append(_LETTERS.get(stem[i], re.escape(stem[i])))
            i += 1
    return gap.join(parts)


def _word_pattern(word: str) -> str:
    if not word.isalpha():  # digits in a name ("Petar II"): match them as written
        return re.escape(word)
    endings = "|".join(sorted(_ENDINGS, key=len, reverse=True))
    alternatives = []
    for stem, required in _stems(word):
        alternatives.append(f"{_spell(stem)}(?:{endings}){'' if required else '?'}")
    if len(word) >= MIN_SPACED_LETTERS:
        alternatives.append(_spell(word, _SPACED))
    return "(?:" + "|".join(alternatives) + ")"


def name_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """The pattern that finds the folded ``words`` of a name, declined, as whole words, in folded text."""
    if not words:
        return None
    body = _BETWEEN_WORDS.join(_word_pattern(word) for word in words)
    return re.compile(f"(?<!{_LETTER}){body}(?!{_LETTER})")


def _patterns(name: ProtectedName) -> list[re.Pattern[str]]:
    words = _WORDS.findall(fold(name.text))
    patterns = [name_pattern(words)]
    surname = words[-1] if len(words) >= 2 else ""
    if name.person and surname.isalpha() and len(surname) >= MIN_SURNAME_LETTERS:
        patterns.append(name_pattern([surname]))
    return [pattern for pattern in patterns if pattern is not None]


def check_texts(names: Sequence[ProtectedName], texts: Mapping[str, str]) -> list[Finding]:
    """Every occurrence of a protected name in ``texts`` (location label -> text).

    Findings come in the order of ``texts``, then by position; an occurrence inside a longer one
    of the same actor ("Petrović" inside "Petar Petrović") is reported once, as the longer one.
    """
    compiled = [(name, _patterns(name)) for name in names if name.text.strip()]
    findings: list[Finding] = []
    for location, text in texts.items():
        if not text:
            continue
        views = [fold_with_index(text)]
        disguised = _as_latin_lookalikes(text)
        if disguised != text:
            views.append(fold_with_index(disguised))  # same length: its offsets are the text's
        spans: list[tuple[int, int, ProtectedName]] = []
        for folded, index in views:
            for name, patterns in compiled:
                for pattern in patterns:
                    for match in pattern.finditer(folded):
                        if match.end() > match.start():
                            spans.append((index[match.start()], index[match.end() - 1] + 1, name))
        spans = _outermost(spans)
        masked = [(start, end) for start, end, _ in spans]
        findings.extend(
            Finding(location, name.actor_id, name.text, start, end, _excerpt(text, start, end, masked))
            for start, end, name in spans
        )
    return findings


@functools.cache
def _latin_lookalikes() -> dict[str, str]:
    """Letters of other scripts that look like a Latin letter (Cyrillic р, Greek ο, ...), from
    Unicode's confusables table as the confusable_homoglyphs package keeps it."""
    table: dict[str, str] = {}
    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii() or not char.isalpha() or char in SERBIAN_LATIN:
            continue
        latin = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalpha()]
        if latin:
            table[char] = latin[0]
    return table


def _as_latin_lookalikes(text: str) -> str:
    """``text`` with every letter that looks like a Latin one replaced by it, one for one: a name
    spelt with a Cyrillic "о" or a Greek "ρ" among Latin letters reads as the name."""
    table = _latin_lookalikes()
    return "".join(table.get(char, char) for char in text)


def _outermost(spans: list[tuple[int, int, ProtectedName]]) -> list[tuple[int, int, ProtectedName]]:
    """Drop duplicates and spans that lie inside a longer span of the same actor."""
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, ProtectedName]] = []
    for start, end, name in spans:
        if any(k[0] <= start and end <= k[1] and k[2].actor_id == name.actor_id for k in kept):
            continue
        kept.append((start, end, name))
    return kept


def _word_edge(text: str, position: int, step: int) -> int:
    """``position`` moved outwards (``step`` -1 or +1) to the nearest space, by at most 15 characters."""
    for moved in range(16):
        at = position + step * moved
        if at <= 0 or at >= len(text):
            return max(0, min(at, len(text)))
        if text[at - 1 if step < 0 else at].isspace():
            return at
    return position


def _excerpt(text: str, start: int, end: int, masked: list[tuple[int, int]]) -> str:
    """The text around ``start:end`` with every protected span in it masked, on one line."""
    left = max(0, start - EXCERPT_CONTEXT)
    right = min(len(text), end + EXCERPT_CONTEXT)
    # End on whole words where a word is near, then widen over any protected span the window cuts,
    # so no part of a name shows at its edges.
    left = _word_edge(text, left, -1)
    right = _word_edge(text, right, +1)
    for s, e in masked:
        if s < left < e:
            left = s
        if s < right < e:
            right = e
    pieces: list[str] = []
    position = left
    for s, e in sorted(masked):
        if e <= position or s >= right:
            continue
        if s > position or not pieces:
            pieces.append(text[position:s] if s > position else "")
            pieces.append(MASK)
        position = max(position, e)  # overlapping spans share one mask
    pieces.append(text[position:right])
    excerpt = " ".join("".join(pieces).split())
    return ("…" if left > 0 else "") + excerpt + ("…" if right < len(text) else "")
