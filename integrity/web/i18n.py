"""Languages of the web pages: Serbian Latin (default), Serbian Cyrillic and English.

The catalogues are gettext `.po` files in `frontend/translations/<locale>/LC_MESSAGES/messages.po`
(source strings are English). They are compiled in memory when the app starts, with Babel, so no
`.mo` file is committed or built; the Cyrillic catalogue is not written by hand but made from the
Latin one with `integrity.reference.to_cyrillic`.

The language of a request is `?lang=` if given, else the `lang` cookie, else Serbian Latin; a
`?lang=` also sets the cookie, so the switch in the page header persists.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import pass_context
from litestar.datastructures import Cookie
from litestar.datastructures.headers import MutableScopeHeaders

from integrity.reference import to_cyrillic

FRONTEND = Path(__file__).resolve().parent.parent.parent / "frontend"
TRANSLATIONS = FRONTEND / "translations"

SR_LATN = "sr-Latn"
SR_CYRL = "sr-Cyrl"
EN = "en"
LANGUAGES = (SR_LATN, SR_CYRL, EN)
DEFAULT_LANGUAGE = SR_LATN
LANG_COOKIE = "lang"
LANG_PARAM = "lang"
#: The name of each language in itself, for the switch in the page header.
LANGUAGE_NAMES = {SR_LATN: "Latinica", SR_CYRL: "Ћирилица", EN: "English"}
#: Babel locale per language (dates, plural rules).
LOCALES = {SR_LATN: "sr_Latn", SR_CYRL: "sr_Cyrl", EN: "en"}
#: Where the people filing cases live; times are shown in their zone.
DISPLAY_ZONE = ZoneInfo("Europe/Belgrade")
STATE_KEY = "integrity_language"

_BY_LOWER = {code.lower(): code for code in LANGUAGES}


def normalise_language(value: str | None) -> str | None:
    """The canonical tag for `value` (any case, `_` or `-`), or None if it is not one of ours."""
    if not value:
        return None
    return _BY_LOWER.get(value.strip().replace("_", "-").lower())


# --- catalogues -----------------------------------------------------------------------------

#: Pieces of a translation that stay as they are in Cyrillic: format placeholders, HTML tags and
#: entities, and technical names that are written in Latin letters in Serbian Cyrillic text too.
_KEEP_LATIN = re.compile(
    r"%\([a-z_]+\)[sd]|%[sd]|<[^>]+>|&[a-z]+;|\{[a-z_]+\}"
    r"|\b(?:TOTP|QR|JSON|CSV|RFC|Atom|Merkle|SHA-256|sha256sum|sha256|base64|UTF-8|Ed25519|CSRF|API|HTTP|URL|UUID|JavaScript|Shift|Enter|payload|signature|key_id|(?:IN|PR)-\d{4}-\d+|Python|curl)\b"
)


def transliterate_message(text: str) -> str:
    """`to_cyrillic` for a catalogue string, leaving placeholders, markup and technical names alone."""
    out = []
    position = 0
    for match in _KEEP_LATIN.finditer(text):
        out.append(to_cyrillic(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(to_cyrillic(text[position:]))
    return "".join(out)


def read_catalogue(locale: str) -> Catalog:
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def cyrillic_catalogue(latin: Catalog) -> Catalog:
    cyrillic = copy.deepcopy(latin)
    cyrillic.locale = "sr_Cyrl"  # type: ignore[assignment]
    for message in cyrillic:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, (tuple, list)):
            message.string = tuple(transliterate_message(s) for s in message.string)
        else:
            message.string = transliterate_message(message.string)
    return cyrillic


def _compiled(catalogue: Catalog) -> Translations:
    buffer = BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


@cache
def translations() -> dict[str, Translations]:
    """Every language's compiled catalogue, built once per process."""
    latin = read_catalogue("sr_Latn")
    return {
        SR_LATN: _compiled(latin),
        SR_CYRL: _compiled(cyrillic_catalogue(latin)),
        EN: _compiled(read_catalogue("en")),
    }


def gettext_for(lang: str) -> Translations:
    return translations()[normalise_language(lang) or DEFAULT_LANGUAGE]


# --- the language of a request --------------------------------------------------------------


def _cookie_value(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() != b"cookie":
            continue
        for pair in value.decode("latin-1").split(";"):
            cookie_name, _, cookie_value = pair.strip().partition("=")
            if cookie_name == name:
                return cookie_value
    return None


def language_of_scope(scope: Any) -> str:
    state = scope.get("state") or {}
    lang = state.get(STATE_KEY)
    if lang:
        return str(lang)
    return _resolve(scope)[0]


def _resolve(scope: Any) -> tuple[str, str | None]:
    """(language, language asked for with `?lang=` or None)."""
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    asked = normalise_language(query.get(LANG_PARAM))
    stored = normalise_language(_cookie_value(scope.get("headers", []), LANG_COOKIE))
    return asked or stored or DEFAULT_LANGUAGE, asked if asked and asked != stored else None


class LanguageMiddleware:
    """Decides the request's language once, and keeps a `?lang=` choice in the `lang` cookie."""

    def __init__(self, app: Any, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang, newly_asked = _resolve(scope)
        scope.setdefault("state", {})[STATE_KEY] = lang
        if newly_asked is not None and not scope["path"].startswith(("/api/", "/static/")):
            header = Cookie(
                key=LANG_COOKIE,
                value=newly_asked,
                path="/",
                max_age=365 * 86400,
                samesite="lax",
                httponly=True,
                secure=self.secure,
            ).to_header(header="")
            inner_send = send

            async def send(message: Any) -> None:
                if message["type"] == "http.response.start":
                    MutableScopeHeaders.from_message(message).add("set-cookie", header)
                await inner_send(message)

        await self.app(scope, receive, send)


# --- what templates use -----------------------------------------------------------------------


def _lang(context: Any) -> str:
    request = context.get("request")
    return language_of_scope(request.scope) if request is not None else DEFAULT_LANGUAGE


@pass_context
def _gettext(context: Any, message: str) -> str:
    return gettext_for(_lang(context)).gettext(message)


@pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return gettext_for(_lang(context)).ngettext(singular, plural, n)


@pass_context
def viewer(context: Any) -> Any:
    """The logged-in member (a `Principal`) or None, also on pages rendered before authentication ran
    (an unknown address's 404 page, where `request.user` cannot be read)."""
    request = context.get("request")
    return request.scope.get("user") if request is not None else None


@pass_context
def unread_count(context: Any) -> int:
    """The logged-in member's unread notifications, counted before the page
    (``integrity.notifications.pages.count_unread``); 0 on pages rendered without it."""
    request = context.get("request")
    return int(request.scope.get("integrity_unread", 0)) if request is not None else 0


@pass_context
def page_lang(context: Any) -> str:
    return _lang(context)


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    current: bool


@pass_context
def language_links(context: Any) -> list[LanguageLink]:
    """Links to this page in each language (the same path and query, another `lang`)."""
    request = context.get("request")
    current = _lang(context)
    path = request.url.path if request is not None else "/"
    query = [
        (k, v)
        for k, v in parse_qsl(request.url.query if request is not None else "", keep_blank_values=True)
        if k != LANG_PARAM
    ]
    if request is not None and request.method != "GET":
        # A page rendered for a form post: the link goes to the same address, without the post.
        query = []
    links = []
    for code in LANGUAGES:
        links.append(
            LanguageLink(
                code=code,
                name=LANGUAGE_NAMES[code],
                url=path + "?" + urlencode([*query, (LANG_PARAM, code)]),
                current=code == current,
            )
        )
    return links


def _locale(context: Any) -> str:
    return LOCALES[_lang(context)]


@pass_context
def fmt_date(context: Any, value: datetime.date | None) -> str:
    if value is None:
        return ""
    return format_date(value, "medium", locale=_locale(context))


@pass_context
def fmt_datetime(context: Any, value: datetime.datetime | str | None) -> str:
    """A moment in the visitor's language and the platform's zone; an ISO 8601 string (as a
    receipt carries it) too, or as written if it is not one."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        value = moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    return format_datetime(value, "medium", tzinfo=DISPLAY_ZONE, locale=_locale(context))


@pass_context
def fmt_incident_date(context: Any, value: datetime.date | str, precision: str) -> str:
    """An incident date as precisely as the member knew it (a date, or the public form: "2026",
    "2026-03" or "2026-03-17")."""
    if isinstance(value, str):
        parts = [int(part) for part in value.split("-")] + [1, 1]
        value = datetime.date(parts[0], parts[1], parts[2])
    if precision == "year":
        return format_date(value, "y", locale=_locale(context))
    if precision == "month":
        return format_date(value, "LLLL y", locale=_locale(context))
    return format_date(value, "medium", locale=_locale(context))


@pass_context
def fmt_age(context: Any, value: datetime.datetime | None) -> str:
    """How long ago ``value`` was, in words ("3 days"), for how long something has waited."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    elapsed = datetime.datetime.now(datetime.UTC) - value
    return format_timedelta(max(elapsed, datetime.timedelta(0)), threshold=1.5, locale=_locale(context))


@pass_context
def fmt_size(context: Any, size: int) -> str:
    """Bytes for people (binary units, one decimal, the decimal sign of the page's language)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            if unit == "B":
                return f"{int(value)} {unit}"
            return f"{format_decimal(value, '0.0', locale=_locale(context))} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def install(environment: Any, extra_globals: dict[str, Callable[..., Any]] | None = None) -> None:
    """Add Jinja's i18n extension (`{% trans %}`, `_()`) and the language helpers to `environment`."""
    translations()  # read the catalogues now: a broken one stops the app at start, not a page
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    environment.policies["ext.i18n.trimmed"] = True
    environment.globals.update(
        {
            "page_lang": page_lang,
            "viewer": viewer,
            "unread_count": unread_count,
            "language_links": language_links,
            "fmt_date": fmt_date,
            "fmt_datetime": fmt_datetime,
            "fmt_incident_date": fmt_incident_date,
            "fmt_size": fmt_size,
            "fmt_age": fmt_age,
            **(extra_globals or {}),
        }
    )
