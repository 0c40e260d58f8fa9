"""Display names of uploaded files: no paths, nothing invisible, always the detected extension."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from integrity.cases.filenames import MAX_LENGTH, safe_display_name

EXTENSIONS = ["pdf", "jpg", "png", "txt", "docx", "xlsx", "odt", "mp4", "heic", "m4a"]
BIDI_AND_INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\ufeff\u00ad"
)


@pytest.mark.parametrize(
    ("raw", "extension", "shown"),
    [
        ("invoice.pdf", "pdf", "invoice.pdf"),
        ("INVOICE.PDF", "pdf", "INVOICE.pdf"),
        # A misleading final extension is dropped; the one already matching the type is kept.
        ("invoice.pdf.exe", "pdf", "invoice.pdf"),
        ("photo.png", "jpg", "photo.jpg"),
        ("photo.jpeg", "jpg", "photo.jpg"),
        ("report.2024.pdf", "pdf", "report.2024.pdf"),
        ("scan", "pdf", "scan.pdf"),
        ("Zapisnik sa sastanka v2.final draft", "txt", "Zapisnik sa sastanka v2.final draft.txt"),
        ("a.pdf.pdf.pdf", "pdf", "a.pdf"),
        # Paths, whatever the separator.
        ("../../etc/passwd", "txt", "passwd.txt"),
        ("C:\\Users\\Ana\\Desktop\\izjava.docx", "docx", "izjava.docx"),
        ("folder/", "pdf", "folder.pdf"),
        ("\\\\server\\share\\x.pdf", "pdf", "x.pdf"),
        # The right-to-left override trick: "invoice<RLO>fdp.exe" reads as "invoiceexe.pdf".
        ("invoice\u202efdp.exe", "pdf", "invoicefdp.pdf"),
        ("a\u2066b\u2069c\u200e.pdf", "pdf", "abc.pdf"),
        ("nul\x00byte\x07.txt", "txt", "nulbyte.txt"),
        ("line\nbreak\ttab   spaces.txt", "txt", "line break tab spaces.txt"),
        ("..hidden", "txt", "hidden.txt"),
        ("...", "pdf", "file.pdf"),
        ("", "pdf", "file.pdf"),
        (None, "jpg", "file.jpg"),
        ("   ", "pdf", "file.pdf"),
        ("\u202e", "pdf", "file.pdf"),
        ("trailing dots...", "pdf", "trailing dots.pdf"),
        # NFC: a decomposed "č" (c + combining caron) becomes one character.
        ("Izve\u0161taj c\u030c.pdf", "pdf", "Izve\u0161taj \u010d.pdf"),
        ("Извештај о јавној набавци.pdf", "pdf", "Извештај о јавној набавци.pdf"),
        ("a\uff0fb.pdf", "pdf", "a_b.pdf"),  # a full-width slash only looks like a path
    ],
)
def test_display_name(raw: str | None, extension: str, shown: str) -> None:
    assert safe_display_name(raw, extension=extension) == shown


def test_long_names_are_cut_but_keep_the_extension() -> None:
    shown = safe_display_name("x" * 1000 + ".exe", extension="pdf")
    assert len(shown) == MAX_LENGTH
    assert shown == "x" * (MAX_LENGTH - 4) + ".pdf"


def test_the_cut_does_not_leave_a_trailing_dot_or_space() -> None:
    raw = "a" * (MAX_LENGTH - 6) + " ." + "b" * 50
    shown = safe_display_name(raw, extension="pdf")
    assert shown == "a" * (MAX_LENGTH - 6) + ".pdf"


def test_a_bad_extension_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        safe_display_name("x", extension="../exe")
    with pytest.raises(ValueError):
        safe_display_name("x", extension="")


def _forbidden(ch: str) -> bool:
    if ch in "/\\" or ch in BIDI_AND_INVISIBLE:
        return True
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


names = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from(list(BIDI_AND_INVISIBLE + "/\\. \t\n\x00")),
    max_size=400,
)


@settings(max_examples=500, deadline=None)
@given(raw=names | st.none(), extension=st.sampled_from(EXTENSIONS))
@example(raw="e\u200d\u0301x", extension="pdf")  # removing a joiner lets the accent compose
@example(raw="a" * 140 + ".pdfb", extension="pdf")  # the cut would expose ".pdf"
@example(raw=" . .x", extension="pdf")
def test_display_names_are_always_safe(raw: str | None, extension: str) -> None:
    shown = safe_display_name(raw, extension=extension)
    assert shown
    assert shown.endswith("." + extension)
    assert len(shown) > len(extension) + 1
    assert len(shown) <= MAX_LENGTH
    assert not any(_forbidden(ch) for ch in shown)
    assert "  " not in shown
    assert not shown.startswith((".", " "))
    assert unicodedata.is_normalized("NFC", shown)
    assert safe_display_name(shown, extension=extension) == shown
