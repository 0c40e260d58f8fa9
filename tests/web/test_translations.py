"""The catalogues: every string the pages show is translated into Serbian, the Cyrillic catalogue is
a faithful transliteration, and the services' messages the pages translate are still the ones the
services send."""

from __future__ import annotations

from babel.messages.pofile import read_po

from integrity.accounts import invitations, login, members, second_factor
from integrity.cases import filetypes
from integrity.security import guards
from integrity.web import labels
from integrity.web.i18n import (
    EN,
    SR_CYRL,
    SR_LATN,
    TRANSLATIONS,
    cyrillic_catalogue,
    gettext_for,
    transliterate_message,
)
from integrity.web.labels import translate_problem
from integrity.web.translations import extract


def _latin():
    with (TRANSLATIONS / "sr_Latn" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale="sr_Latn")


def test_every_string_of_the_templates_and_labels_is_translated_into_serbian() -> None:
    catalogue = _latin()
    missing = []
    for message in extract():
        if not message.id:
            continue
        found = catalogue.get(message.id)
        strings = found.string if found is not None else None
        ok = len(strings) == 3 and all(strings) if isinstance(strings, tuple | list) else bool(strings)
        if not ok or (found is not None and found.fuzzy):
            missing.append(message.id)
    assert not missing, (
        "untranslated in sr_Latn (run python -m integrity.web.translations, then translate):\n"
        + ("\n".join(map(str, missing)))
    )


def test_the_cyrillic_catalogue_is_the_latin_one_transliterated() -> None:
    latin = _latin()
    cyrillic = cyrillic_catalogue(latin)
    message = cyrillic.get("Invitation for %(email)s as %(role)s created.")
    assert message is not None
    assert message.string == "Направљена је позивница за %(email)s, улога: %(role)s."
    assert gettext_for(SR_CYRL).gettext("Log in") == "Пријави се"
    assert gettext_for(SR_LATN).gettext("Log in") == "Prijavi se"
    assert gettext_for(EN).gettext("Log in") == "Log in"


def test_transliteration_leaves_placeholders_markup_and_technical_names_alone() -> None:
    text = "Potpis je Ed25519 nad <code>JSON</code> %(name)s, SHA-256 otisak {minutes} i TOTP kod"
    assert transliterate_message(text) == (
        "Потпис је Ed25519 над <code>JSON</code> %(name)s, SHA-256 отисак {minutes} и TOTP код"
    )


def test_serbian_plurals_follow_the_grammar() -> None:
    t = gettext_for(SR_LATN)
    forms = [
        t.ngettext("The case has %(count)s file.", "The case has %(count)s files.", n) % {"count": n}
        for n in (1, 3, 5, 21)
    ]
    assert forms == [
        "Slučaj ima 1 datoteku.",
        "Slučaj ima 3 datoteke.",
        "Slučaj ima 5 datoteka.",
        "Slučaj ima 21 datoteku.",
    ]


def test_the_services_still_send_the_messages_the_pages_translate() -> None:
    sent = {
        login.LOGIN_FAILED,
        invitations.NO_SUCH_INVITATION,
        filetypes.NOT_ALLOWED,
        f"the password must have at least {members.MIN_PASSWORD_LENGTH} characters",
        f"the password must have at most {members.MAX_PASSWORD_LENGTH} characters",
    }
    assert sent <= set(labels.SERVICE_MESSAGES)
    assert guards.ENROL_FIRST.startswith("your role needs a second factor")


def test_rate_limit_messages_keep_their_wait_in_every_language() -> None:
    refusal = login.LOGIN_PER_ACCOUNT.refusal(600)
    assert translate_problem(SR_LATN, refusal.detail).startswith(
        "Previše neuspelih prijava na ovaj nalog: zaključan je 10 minuta."
    )
    assert "10 минута" in translate_problem(SR_CYRL, refusal.detail)
    assert translate_problem(EN, refusal.detail).startswith("Too many failed log-ins for this account")
    one = second_factor.TOTP_PER_CLIENT.refusal(30)
    assert (
        translate_problem(SR_LATN, one.detail) == "Previše pogrešnih kodova sa vaše veze: sačekajte 1 minut."
    )
