"""Extracting the pages' strings and updating the translation catalogues.

    python -m integrity.web.translations      # adds new strings to every messages.po, keeps the rest

Strings come from the templates (`{% trans %}`, `_()`) and from the modules that mark strings with
`N_`/`Nn_` (labels, messages by error code, and the pages' own messages in every domain).
Translators then fill in `frontend/translations/sr_Latn/LC_MESSAGES/messages.po`; the Cyrillic
catalogue is made from it when the app starts (`integrity.web.i18n`)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from integrity.web.i18n import FRONTEND, TRANSLATIONS

PACKAGE = Path(__file__).resolve().parent.parent
LOCALES = ("sr_Latn", "en")
PYTHON_KEYWORDS = {"N_": None, "Nn_": (1, 2)}


def extract() -> Catalog:
    """Every string the pages show, as a template catalogue (msgids only)."""
    catalogue = Catalog(project="Integrity Network", charset="utf-8")
    templates = extract_from_dir(
        FRONTEND / "templates",
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        options_map={"**.html": {"trimmed": "true", "extensions": "jinja2.ext.i18n"}},
    )
    for filename, lineno, message, comments, context in templates:
        catalogue.add(
            message, locations=[(f"templates/{filename}", lineno)], auto_comments=comments, context=context
        )
    python = extract_from_dir(
        PACKAGE,
        method_map=[("**.py", "python")],
        keywords=PYTHON_KEYWORDS,  # type: ignore[arg-type]
        comment_tags=(),
    )
    for filename, lineno, message, comments, context in python:
        catalogue.add(
            message,
            locations=[(f"integrity/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalogue


def update() -> None:
    template = extract()
    for locale in LOCALES:
        path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as f:
                catalogue = read_po(f, locale=locale)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalogue = Catalog(locale=locale, project="Integrity Network", charset="utf-8")
        catalogue.update(template, no_fuzzy_matching=True)
        with path.open("wb") as f:
            write_po(f, catalogue, width=100, omit_header=False, sort_output=False, ignore_obsolete=True)


if __name__ == "__main__":
    update()
