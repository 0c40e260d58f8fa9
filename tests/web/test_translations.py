"""The catalogues: every string the pages show is translated into Serbian, the Cyrillic catalogue is
a faithful transliteration, and the pages translate the services' refusals by their codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import integrity
from integrity.accounts import invitations, login, members, second_factor
from integrity.cases import filetypes, workflow
from integrity.errors import Invalid, UnsupportedType, WrongState
from integrity.http import problems
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
from integrity.web.labels import _sentence, translate_problem
from integrity.web.translations import extract
from tests.factories import AccountFactory
from tests.web.helpers import HTML, visible_text


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


def test_every_code_the_pages_translate_is_one_the_services_raise() -> None:
    """A renamed or dropped code is noticed here, before a member meets an untranslated refusal."""
    package = Path(integrity.__file__).parent
    source = "".join(path.read_text(encoding="utf-8") for path in package.rglob("*.py"))
    raised = set(re.findall(r'code="([a-z_]+)"', source)) | set(problems._CODES.values())
    assert 'code=f"{action}_needs_reason"' in source
    raised |= {f"{action}_needs_reason" for action in workflow.NEEDS_REASON}
    assert set(labels.MESSAGES_BY_CODE) <= raised, set(labels.MESSAGES_BY_CODE) - raised
    rules = [
        login.LOGIN_PER_ACCOUNT,
        login.LOGIN_PER_CLIENT,
        second_factor.TOTP_PER_ACCOUNT,
        second_factor.TOTP_PER_CLIENT,
        invitations.INVITATION_PER_TOKEN,
        invitations.INVITATION_PER_CLIENT,
    ]
    assert {rule.refusal(60).code for rule in rules} == set(labels.RATE_LIMITS)


def test_a_refusal_is_translated_by_its_code_not_its_wording() -> None:
    """The pages used to match the services' English: a reworded refusal (this one had drifted)
    reached a Serbian page in English. By code, the wording no longer matters."""
    reworded = WrongState("evidence may only be added to drafts (new wording)", code="evidence_not_accepted")
    assert translate_problem(SR_LATN, reworded) == translate_problem(
        SR_LATN, labels.MESSAGES_BY_CODE["evidence_not_accepted"]
    )
    assert translate_problem(SR_LATN, reworded) != _sentence(reworded.detail)
    assert translate_problem(SR_CYRL, reworded)[0] in "АБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ"
    # An unknown code shows the service's own words, as a sentence.
    unknown = Invalid("something new went wrong", code="not_in_the_table")
    assert translate_problem(SR_LATN, unknown) == "Something new went wrong."


def test_the_type_refusal_and_the_password_limits_have_their_messages() -> None:
    with pytest.raises(UnsupportedType) as refused:
        filetypes.detect(b"MZ\x90\x00" + b"\x00" * 60)
    assert translate_problem(SR_LATN, refused.value) != _sentence(filetypes.NOT_ALLOWED)
    assert labels.MESSAGES_BY_CODE["password_too_short"].endswith(f"{members.MIN_PASSWORD_LENGTH} characters")
    assert labels.MESSAGES_BY_CODE["password_too_long"].endswith(f"{members.MAX_PASSWORD_LENGTH} characters")
    assert guards.ENROL_FIRST.startswith("your role needs a second factor")


def test_rate_limit_messages_keep_their_wait_in_every_language() -> None:
    refusal = login.LOGIN_PER_ACCOUNT.refusal(600)
    assert translate_problem(SR_LATN, refusal).startswith(
        "Previše neuspelih prijava na ovaj nalog: zaključan je 10 minuta."
    )
    assert "10 минута" in translate_problem(SR_CYRL, refusal)
    assert translate_problem(EN, refusal).startswith("Too many failed log-ins for this account")
    one = second_factor.TOTP_PER_CLIENT.refusal(30)
    assert translate_problem(SR_LATN, one) == "Previše pogrešnih kodova sa vaše veze: sačekajte 1 minut."


async def test_a_page_that_is_not_there_says_so_in_the_pages_language(accounts: AccountFactory) -> None:
    """Nothing at an address (a mistyped path, an unknown case file or municipality): the page says
    it in the visitor's language, not in the framework's English."""
    visitor = accounts.anonymous()
    for path, english, serbian in [
        ("/nepostojeca-strana", "there is nothing at this address", "na ovoj adresi nema ničega"),
        (
            "/cases/IN-2099-0001",
            "no published case has that reference",
            "nijedan objavljeni slučaj nema tu oznaku",
        ),
        ("/municipalities/nigde", "no such municipality", "takva opština ne postoji"),
    ]:
        shown = await visitor.get(f"{path}?lang=sr-Latn", headers=HTML)
        assert shown.status_code == 404, path
        text = visible_text(shown.text)
        assert serbian in text.lower() and english not in text.lower(), path
        assert english in visible_text((await visitor.get(f"{path}?lang=en", headers=HTML)).text).lower()
    # The API still answers with a problem document.
    problem = await visitor.get("/api/v1/nepostoji")
    assert problem.status_code == 404 and problem.json()["code"] == "not_found"
