"""Folding and Serbian transliteration."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrity.reference import find_folded, fold, fold_with_index, slugify, to_cyrillic, to_latin


@pytest.mark.parametrize(
    "variants",
    [
        ("zmiric", "Žmirić", "Жмирић", "ŽMIRIĆ", "ЖМИРИЋ", "Zmiric"),
        ("Запошљавање", "ZAPOŠLJAVANJE", "zaposljavanje", "Zapošljavanje", "ЗАПОШЉАВАЊЕ"),
        ("Đorđević", "Djordjevic", "Ђорђевић", "DJORDJEVIC", "Dorđević".replace("D", "Đ", 1), "ĐORĐEVIĆ"),
        ("Džajić", "Џајић", "dzajic", "DŽAJIĆ"),
        ("Ćuprija", "Ћуприја", "cuprija", "Čuprija"),
        ("Njegoš", "Његош", "njegos"),
    ],
)
def test_fold_equates_scripts_and_diacritics(variants: tuple[str, ...]) -> None:
    assert len({fold(v) for v in variants}) == 1


def test_fold_output() -> None:
    assert fold("Žmirić") == "zmiric"
    assert fold("Ђорђевић") == "djordjevic"
    assert fold("Запошљавање") == "zaposljavanje"
    assert fold("  Novi\tSad \n\u00a0 ") == "novi sad"
    assert fold("Mar\u00adko\u200b Ma\u200drković") == "marko markovic"  # soft hyphen, zero-width
    assert fold("Z\u030cmiric\u0301") == "zmiric"  # decomposed diacritics
    assert fold("Kovács Ödön") == "kovacs odon"
    assert fold("Straße Łódź") == "strasse lodz"
    assert fold("Ä, b.") == "a, b."  # punctuation is kept
    assert fold("") == ""


def test_fold_is_idempotent_on_examples() -> None:
    for text in ("Žmirić", "Ђорђевић Đorđe", "  A  b ", "Ѓорѓи Щука"):
        assert fold(fold(text)) == fold(text)


def test_fold_with_index_points_into_the_original() -> None:
    text = "  Ђорђе   Ž!"
    folded, index = fold_with_index(text)
    assert folded == "djordje z!"
    assert len(index) == len(folded)
    assert text[index[0]] == "Ђ" and text[index[1]] == "Ђ"
    assert text[index[folded.index("z")]] == "Ž"
    assert list(index) == sorted(index)


def test_find_folded() -> None:
    text = "Izjavio je Ђорђевић, a zatim DJORDJEVIC i djordjevicka."
    spans = find_folded(text, "Đorđević")
    assert [text[a:b] for a, b in spans] == ["Ђорђевић", "DJORDJEVIC", "djordjevic"]
    spans = find_folded(text, "Đorđević", whole_words=True)
    assert [text[a:b] for a, b in spans] == ["Ђорђевић", "DJORDJEVIC"]
    assert find_folded(text, "   ") == []
    assert find_folded("Mar\u00adko Ma\u00a0 Marković", "marko", whole_words=True) == [(0, 6)]


def test_slugify() -> None:
    assert slugify("Petrovac na Mlavi") == "petrovac-na-mlavi"
    assert slugify("Đakovica") == "djakovica"
    assert slugify("Чачак") == "cacak"


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Čačak", "Чачак"),
        ("Kanjiža", "Кањижа"),
        ("Inđija", "Инђија"),
        ("Đakovica", "Ђаковица"),
        ("Ljubovija", "Љубовија"),
        ("LJUBOVIJA", "ЉУБОВИЈА"),
        ("NJEGOŠ i Njegoš", "ЊЕГОШ и Његош"),
        ("Džep DŽEP", "Џеп ЏЕП"),
        ("injekcija", "ињекција"),
        ("konjunkcija", "конјункција"),
        ("nadživeti", "надживети"),
        ("Podžupan", "Поджупан"),
        ("Zapošljavanje u javnom sektoru", "Запошљавање у јавном сектору"),
    ],
)
def test_to_cyrillic_and_back(latin: str, cyrillic: str) -> None:
    assert to_cyrillic(latin) == cyrillic
    if latin not in ("konjunkcija", "nadživeti", "Podžupan"):
        assert to_latin(cyrillic) == latin


def test_to_cyrillic_leaves_foreign_text() -> None:
    text = "Vidi https://example.org/put?x=1, piši na info@primer.rs ili www.rts.rs; XXI vek, II deo, Wi-Fi."
    assert to_cyrillic(text) == (
        "Види https://example.org/put?x=1, пиши на info@primer.rs или www.rts.rs; XXI век, II део, Wi-Fi."
    )
    assert to_cyrillic("Kovács i Müller") == "Kovács и Müller"
    # Technical Latin stays Latin: codes, file names, hashes, identifiers, acronyms.
    assert to_cyrillic("SHA-256 zbir, izvestaj.pdf, IN-2026-0042, sha256, a3f9c2, key_id, UTF-8 i PDF") == (
        "SHA-256 збир, izvestaj.pdf, IN-2026-0042, sha256, a3f9c2, key_id, UTF-8 и PDF"
    )
    assert to_cyrillic("Већ ћирилица") == "Већ ћирилица"
    assert to_cyrillic("Z\u030celjko") == "Жељко"  # decomposed input


def test_to_latin() -> None:
    assert to_latin("Љубовија ЉУБОВИЈА Љ Његош ЊЕГОШ Џеп ЏЕП") == (
        "Ljubovija LJUBOVIJA Lj Njegoš NJEGOŠ Džep DŽEP"
    )
    assert to_latin("Ђорђе Ћирић, 2024.") == "Đorđe Ćirić, 2024."
    assert to_latin("Љ. Ђорђевић, АА Џ") == "Lj. Đorđević, AA DŽ"
    assert to_latin("ПОШТА Њ. ЂОРЂЕВИЋ") == "POŠTA NJ. ĐORĐEVIĆ"
    assert to_latin("Latin stays, Ωμέγα too") == "Latin stays, Ωμέγα too"


# --- properties -----------------------------------------------------------------------------------

# The 30 letters of Serbian Latin, digraphs as one letter.
LATIN_LETTERS = "a b c č ć d dž đ e f g h i j k l lj m n nj o p r s š t u v z ž"
latin_letters = st.sampled_from(LATIN_LETTERS.split(" "))
latin_words = st.lists(latin_letters, min_size=1, max_size=12).map("".join)
latin_text = st.lists(
    st.tuples(latin_words, st.sampled_from([" ", ", ", ". ", "\n", "-"])), min_size=1, max_size=8
).map(lambda parts: "".join(w + sep for w, sep in parts))
cyrillic_letters = st.sampled_from(list("абвгдђежзијклљмнњопрстћуфхцчџш"))


@given(latin_text)
def test_fold_ignores_script(text: str) -> None:
    assert fold(to_cyrillic(text)) == fold(text)
    assert fold(to_cyrillic(text.upper())) == fold(text)
    assert fold(to_cyrillic(text.title())) == fold(text)


@given(st.lists(cyrillic_letters, min_size=1, max_size=20).map("".join))
def test_fold_of_cyrillic_equals_fold_of_its_latin(text: str) -> None:
    assert fold(to_latin(text)) == fold(text)
    assert fold(to_latin(text.upper())) == fold(text)


@given(latin_text)
def test_latin_round_trip(text: str) -> None:
    # Every lower-case Serbian Latin text survives Latin -> Cyrillic -> Latin, except where one of
    # the split stems (konjug..., nadživ...) turns a digraph into two letters, which reads back the same.
    assert to_latin(to_cyrillic(text)) == text
    # In capitals a word of one digraph letter (LJ, NJ, DŽ) alone cannot tell LJ from Lj.
    if all(len(to_cyrillic(w)) > 1 for w in re.findall(r"[^\W\d_]+", text)):
        assert to_latin(to_cyrillic(text.upper())) == text.upper()


@given(st.text())
def test_fold_properties(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip()
    assert "  " not in folded
    assert not any(c.isspace() and c != " " for c in folded)
    f, index = fold_with_index(text)
    assert f == folded and len(index) == len(f)
    assert all(0 <= i < len(text) for i in index)
