"""The leak check finds protected names however they are written, and only them."""

from __future__ import annotations

import unicodedata
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.publication.leakcheck import MASK, Finding, ProtectedName, check_texts
from integrity.redaction import clean_pdf, extract_text
from integrity.redaction.ocr import ocr_pages
from integrity.reference import to_cyrillic
from tests.redaction.handmade import nasty_pdf, text_pdf

WITNESS = uuid.UUID(int=1)
OTHER = uuid.UUID(int=2)

FIRST_NAMES = ["Ana", "Marija", "Petar", "Jovan", "Đorđe", "Milica", "Nikola", "Željko", "Čedomir", "Ljubica",
               "Njegoš", "Džemal", "Šaban", "Marko", "Aleksandar", "Ivana", "Dušan", "Vesna"]  # fmt: skip
SURNAME_STARTS = ["Petr", "Jovan", "Đorđ", "Nikol", "Marković", "Stoj", "Ilij", "Živk", "Šćep", "Lazar",
                  "Dragič", "Radulov", "Vuč", "Knež"]  # fmt: skip
SURNAME_ENDS = ["ović", "ević", "ić", "ski", "ac"]
# Ordinary words of a Serbian report, none of them a form of a name above.
FILLER_TEXT = """
opština javno preduzeće ugovor tender direktor sastanak novac račun analiza banana izveštaj
odbornik zapisnik gradsko veće odluka nabavka iznos dinara godine je rekao da su bili u na iz
kod sa pre posle banka anastezija anatomija marijana petarda jovanka janković
"""
FILLER = FILLER_TEXT.split()

names = st.builds(
    lambda first, start, end, two: f"{first} {start}{end}" if two else first,
    st.sampled_from(FIRST_NAMES),
    st.sampled_from(SURNAME_STARTS),
    st.sampled_from(SURNAME_ENDS),
    st.booleans(),
)
filler = st.lists(st.sampled_from(FILLER), max_size=12).map(" ".join)
separators = st.sampled_from([" ", ", ", ". ", " (", "\n", " „", ": "])


def strip_diacritics(text: str, dj: str) -> str:
    text = text.replace("đ", dj).replace("Đ", dj.capitalize())
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def decline(word: str, ending: str) -> str:
    if word[-1] in "aeiou":
        return word[:-1] + ending
    if word.endswith("ar") and len(word) > 4:  # the fleeting a: Petar -> Petra
        return word[:-2] + "r" + ending
    return word + ending


VARIANTS = {
    "as written": lambda name: name,
    "Cyrillic": to_cyrillic,
    "upper case": str.upper,
    "lower case": str.lower,
    "no diacritics (dj)": lambda name: strip_diacritics(name, "dj"),
    "no diacritics (d)": lambda name: strip_diacritics(name, "d"),
    "line break": lambda name: name.replace(" ", "\n", 1),
    "extra spaces and a soft hyphen": lambda name: name.replace(" ", " \u00ad  \t", 1),
    "genitive": lambda name: " ".join(decline(w, "a" if w[-1] not in "ae" else "e") for w in name.split()),
    "dative": lambda name: " ".join(decline(w, "u" if w[-1] != "a" else "i") for w in name.split()),
    "instrumental": lambda name: " ".join(decline(w, "om") for w in name.split()),
    "Cyrillic genitive upper": lambda name: to_cyrillic(
        " ".join(decline(w, "a") for w in name.split())
    ).upper(),
}


def findings_in(text: str, *names_: str, location: str = "public_body") -> list[Finding]:
    return check_texts([ProtectedName(WITNESS, name) for name in names_], {location: text})


@settings(max_examples=300, deadline=None)
@given(
    name=names,
    variant=st.sampled_from(sorted(VARIANTS)),
    before=filler,
    after=filler,
    left=separators,
    right=separators,
)
def test_a_protected_name_is_found_at_its_place_however_it_is_written(
    name: str, variant: str, before: str, after: str, left: str, right: str
) -> None:
    written = VARIANTS[variant](name)
    prefix = before + left if before else ""
    text = prefix + written + (right + after if after else "")
    findings = findings_in(text, name)
    assert any(f.start == len(prefix) and f.end == len(prefix) + len(written) for f in findings), (
        text,
        [(f.start, f.end) for f in findings],
    )


@settings(max_examples=200, deadline=None)
@given(name=names, text=st.lists(st.sampled_from(FILLER), max_size=40).map(" ".join))
def test_text_without_the_name_has_no_finding(name: str, text: str) -> None:
    assert findings_in(text, name) == []


def test_a_serbian_paragraph_with_ana_and_words_that_contain_it() -> None:
    paragraph = (
        "Analiza ugovora o nabavci banana pokazala je da je direktorka Anastasija Janković "
        "potpisala aneks. Kanal je plaćen. Svedokinja ANA, inače analitičarka, dala je izjavu; "
        "Ani je kasnije prećeno, a Anin brat je otpušten."
    )
    findings = findings_in(paragraph, "Ana")
    assert [paragraph[f.start : f.end] for f in findings] == ["ANA", "Ani", "Anin"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Izjavu je dao Petrović.", "Petrović"),
        ("Izjavu je dao PETROVIĆ.", "PETROVIĆ"),
        ("Od Петровића smo čuli.", "Петровића"),
        ("Petroviću je prećeno.", "Petroviću"),
        ("sa Petrovićem", "Petrovićem"),
        ("Petrovici su se odselili", "Petrovici"),
        ("pisao je petrovic1985@example.org", "petrovic"),
        ("nalog petrovic_petar na mreži", "petrovic"),
        ("u tekstu Petro-\nvić tvrdi", "Petro-\nvić"),
        ("u tekstu Petro\ufffević tvrdi", "Petro\ufffević"),  # PDFium's line-end hyphen
        ("dao je P. Petrović", "Petrović"),
    ],
)
def test_the_surname_alone_is_found(text: str, found: str) -> None:
    assert [text[f.start : f.end] for f in findings_in(text, "Petar Petrović")] == [found]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Izjavu je dao Petrοvić.", "Petrοvić"),  # a Greek omicron among Latin letters
        ("Izjavu je dao Реtrović.", "Реtrović"),  # Cyrillic Р and е among Latin letters
        ("Izjavu je dao Petr0vić.", "Petr0vić"),
        ("Izjavu je dao P3tr0vic.", "P3tr0vic"),
        ("Izjavu je dao P e t r o v i ć.", "P e t r o v i ć"),
        ("Izjavu je dao P.E.T.R.O.V.I.Ć. lično", "P.E.T.R.O.V.I.Ć"),
        ("The witness, Mr Petrovich, said", "Petrovich"),
        ("PETROVICH", "PETROVICH"),
        ("kod Petrovićima u kući", "Petrovićima"),
        ("u Petrovićevoj kući", "Petrovićevoj"),
        ("Petrovićevog brata", "Petrovićevog"),
    ],
)
def test_a_disguised_or_otherwise_declined_name_is_found(text: str, found: str) -> None:
    assert [text[f.start : f.end] for f in findings_in(text, "Petar Petrović")] == [found]


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        ("Ivan Živković", "a source close to Zhivkovich", "Zhivkovich"),
        ("Jovan Jovanović", "Yovanovic was there", "Yovanovic"),
        ("Jovan Jovanović", "kuća Jovanovićeva", "Jovanovićeva"),
        ("Ljubica Lazić", "Lyubica Lazich said", "Lyubica Lazich"),
        ("Džemal Šabić", "Dzhemal Shabich", "Dzhemal Shabich"),
        ("Marija Ilić", "Marijinom sestrom", None),  # the first name alone is not searched
        ("Marija", "Marijinom sestrom", "Marijinom"),
    ],
)
def test_english_spellings_and_possessives(name: str, text: str, found: str | None) -> None:
    assert [text[f.start : f.end] for f in findings_in(text, name)] == ([found] if found else [])


@pytest.mark.parametrize(
    "text",
    [
        "Petar je rekao da ne zna ništa.",  # a first name alone is too common to be a signal
        "Petrovaradinska tvrđava",
        "Opština Petrovac na Mlavi",
        "superpetrović",
    ],
)
def test_neither_the_first_name_alone_nor_longer_words_are_found(text: str) -> None:
    assert findings_in(text, "Petar Petrović") == []


def test_short_surnames_are_not_searched_alone() -> None:
    assert [(f.start, f.end) for f in findings_in("Ilić je bio tamo", "Ana Ilić")] == [(0, 4)]
    assert findings_in("Rus je rekao", "Ana Rus") == []  # three letters: "Rus" is also a Russian


def test_organisations_are_found_by_full_name_only() -> None:
    organisation = ProtectedName(OTHER, "Udruženje Zaštita Svedoka", person=False)
    text = "Svedoka je štitilo Udruženje „Zaštita svedoka”."
    assert check_texts([organisation], {"public_body": text}) == []
    text = "Pomoglo je Udruženje Zaštita Svedoka."
    (finding,) = check_texts([organisation], {"public_body": text})
    assert text[finding.start : finding.end] == "Udruženje Zaštita Svedoka"


def test_aliases_are_names_too() -> None:
    protected = [ProtectedName(WITNESS, "Petar Petrović"), ProtectedName(WITNESS, "Pera Žuti")]
    text = "Pera Žuti je rekao, a Peri Žutom su prećeli."
    found = [text[f.start : f.end] for f in check_texts(protected, {"public_title": text})]
    assert found == ["Pera Žuti", "Peri Žutom"]


def test_a_finding_says_where_and_masks_every_name_in_its_excerpt() -> None:
    protected = [ProtectedName(WITNESS, "Petar Petrović"), ProtectedName(OTHER, "Marija Jovanović")]
    texts = {
        "public_title": "Ništa osobito",
        "public_body": "Svedok Petar Petrović i svedokinja Marija Jovanović su dali izjave.",
        "file:7a1c": "Strana 1\fPETAR\nPETROVIĆ",
    }
    findings = check_texts(protected, texts)
    assert [(f.location, f.actor_id, f.start, f.end) for f in findings] == [
        ("public_body", WITNESS, 7, 21),
        ("public_body", OTHER, 35, 51),
        ("file:7a1c", WITNESS, 9, 23),
    ]
    assert findings[0].excerpt == f"Svedok {MASK} i svedokinja {MASK} su dali izjave."
    assert findings[2].excerpt == f"Strana 1 {MASK}"
    for finding in findings:
        assert "Petrović" not in repr(finding) and "PETROVI" not in finding.excerpt
        assert "Jovanović" not in repr(finding) and "Jovanović" not in finding.excerpt


def test_a_long_text_gives_a_short_excerpt_with_no_cut_name() -> None:
    text = "reč " * 100 + "Petar Petrović" + " reč" * 100
    (finding,) = findings_in(text, "Petar Petrović")
    assert finding.excerpt.startswith("…") and finding.excerpt.endswith("…")
    assert MASK in finding.excerpt and len(finding.excerpt) < 100


def test_the_full_name_is_one_finding_not_two() -> None:
    (finding,) = findings_in("Petar Petrović", "Petar Petrović", "Petrović")
    assert (finding.start, finding.end) == (0, 14)


def test_empty_names_and_texts_find_nothing() -> None:
    assert findings_in("", "Petar Petrović") == []
    assert findings_in("Petar Petrović", "  ", "") == []


def test_the_text_layer_of_a_pdf_is_checked_and_a_rendition_is_read_as_pixels() -> None:
    original = nasty_pdf()
    protected = [ProtectedName(WITNESS, "Petar Izmišljenović")]
    (finding,) = check_texts(protected, {"file:1": extract_text(original, "application/pdf")})
    assert finding.location == "file:1" and MASK in finding.excerpt
    broken = text_pdf(b"BT /F1 12 Tf 72 700 Td (Svedok Izmi-) Tj 0 -14 Td (sljenovic je rekao) Tj ET")
    (finding,) = check_texts(protected, {"file:2": extract_text(broken, "application/pdf")})
    assert finding.location == "file:2"
    # The published copy is pixels only: it has no text layer, so only OCR can see the name in it
    # (this is what let a witness's name out once, while the check said the copy was clean).
    rendition = clean_pdf(original).content
    assert extract_text(rendition, "application/pdf").strip() == ""
    read = " ".join(
        word.text for page in ocr_pages(rendition, "application/pdf", 1, 100) for word in page.words
    )
    assert check_texts(protected, {"file:1": read}), read
