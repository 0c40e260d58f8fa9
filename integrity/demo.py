"""`integrity seed-demo`: clearly fictional members, cases and files for trying the platform.

Every person and organisation named here is invented. Places are real municipalities (they are
reference data, not people). Passwords are generated per installation and written, mode 0600, to
`demo-accounts.txt` in the data folder: never fixed in the code, so a demo seeded by mistake on a
server does not open it to anyone who reads this file.
"""

from __future__ import annotations

import datetime
import os
import secrets
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

import msgspec

from integrity import db
from integrity.accounts.members import create_member, principal_from
from integrity.accounts.tables import Member, Profession, Role
from integrity.cases import evidence, submission
from integrity.cases import service as cases_service
from integrity.cases.schemas import ActorIn, CaseIn, CaseOut
from integrity.cases.tables import ActorKind, ActorRole, Attachment, Case, DatePrecision
from integrity.context import ServiceContext
from integrity.custody.signing import Signer
from integrity.http.multipart import FormPart
from integrity.publication import drafts as publication_drafts
from integrity.publication import filecheck
from integrity.publication.schemas import DecisionIn, DraftIn
from integrity.publication.tables import Decision
from integrity.reference import municipality
from integrity.referrals import deadlines as referral_deadlines
from integrity.referrals import service as referrals
from integrity.referrals.schemas import AnswerIn, InstitutionIn, ReferralIn
from integrity.referrals.tables import Channel, Outcome
from integrity.review import actors as review_actors
from integrity.review import service as review
from integrity.review.actors import ActorLinkIn
from integrity.security.guards import Principal
from integrity.settings import Settings
from integrity.vault import Vault

DEMO_DOMAIN = "demo.integrity.invalid"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    display_name: str
    profession: Profession


DEMO_PEOPLE = [
    ("clan", Role.member, "Jelena Izmišljenović (demo)", Profession.journalist),
    ("clan2", Role.member, "Milan Primerović (demo)", Profession.police),
    ("recenzent", Role.reviewer, "Ana Probić (demo)", Profession.lawyer),
    ("urednik", Role.editor, "Dragan Oglednić (demo)", Profession.academic),
    # A second editor: corrections and retractions take two.
    ("urednica", Role.editor, "Milica Proverić (demo)", Profession.journalist),
    ("admin", Role.admin, "Administrator (demo)", Profession.other),
]


class _DemoPart:
    """A ready-made file, shaped like an uploaded form part, for the intake service."""

    def __init__(self, filename: str, content: bytes) -> None:
        self.name = evidence.FILE_FIELD
        self.filename = filename
        self.content_type = None
        self._content = content

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self._content

    async def skip(self) -> None:
        return None


async def _parts(files: list[tuple[str, bytes]]) -> AsyncIterator[FormPart]:
    for filename, content in files:
        yield _DemoPart(filename, content)  # type: ignore[misc]


def _demo_png(width: int = 64, height: int = 48) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes((x * 4) % 256 for x in range(width))  # a grey gradient
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class DemoCase(TypedDict):
    #: The handle of the member in `DEMO_PEOPLE` who files the case.
    author: str
    submit: bool
    case: CaseIn
    #: Filename and content of each file; None for a generated PNG.
    files: list[tuple[str, bytes | None]]
    #: The public version the demo review team publishes.
    publish: NotRequired[DraftIn]


DEMO_CASES: list[DemoCase] = [
    {
        "author": "clan",
        "submit": True,
        "case": CaseIn(
            title="Ugovor o javnoj rasveti dodeljen firmi povezanoj sa odbornikom (demo)",
            narrative=(
                "Izmišljeni primer. Opštinska uprava je raspisala tender za javnu rasvetu sa uslovima "
                "koje je ispunjavala samo jedna firma, čiji je suvlasnik rođak odbornika vladajuće "
                "stranke. Ponuda je bila 40% viša od procenjene vrednosti."
            ),
            incident_date=datetime.date(2026, 3, 14),
            municipality="cacak",
            categories=["procurement_public_money", "employment_patronage"],
            actors=[
                ActorIn(
                    name="Svetlost Primer d.o.o. (demo)",
                    kind=ActorKind.company,
                    role=ActorRole.alleged_perpetrator,
                ),
                ActorIn(
                    name="Opštinska uprava Primerovo (demo)",
                    kind=ActorKind.institution,
                    role=ActorRole.institution_involved,
                ),
                ActorIn(
                    name="Vesna Zaštićenović (demo)",
                    kind=ActorKind.person,
                    role=ActorRole.source,
                    protect_identity=True,
                ),
            ],
        ),
        "files": [
            (
                "zapisnik-sa-otvaranja-ponuda.txt",
                "Izmišljeni zapisnik sa otvaranja ponuda (demo).\n".encode(),
            ),
            ("fotografija-table.png", None),
        ],
    },
    {
        "author": "clan2",
        "submit": True,
        "case": CaseIn(
            title="Pritisak na lokalnog novinara posle teksta o deponiji (demo)",
            narrative=(
                "Izmišljeni primer. Posle objavljenog teksta o nelegalnoj deponiji, novinar je "
                "pozvan na 'informativni razgovor' bez pisanog poziva."
            ),
            incident_date=datetime.date(2026, 5, 1),
            incident_date_precision=DatePrecision.month,
            municipality="novi-sad",
            categories=["media_capture", "intimidation"],
        ),
        "files": [("beleska.txt", "Izmišljena beleška sa razgovora (demo).\n".encode())],
    },
    {
        "author": "clan2",
        "submit": True,
        "case": CaseIn(
            title="Parcela u centru data u zakup bez javnog oglasa (demo)",
            narrative=(
                "Izmišljeni primer. Opštinsko veće je parcelu od 12 ari u centru grada dalo u "
                "dugoročni zakup privatnoj firmi, bez javnog oglasa i po ceni nižoj od tržišne. "
                "Tabla na gradilištu je postavljena pre odluke veća."
            ),
            incident_date=datetime.date(2025, 10, 7),
            municipality="kraljevo",
            categories=["urban_planning_land"],
        ),
        "files": [("tabla-na-gradilistu.png", None)],
        # Reviewed and published by the demo review team, so the public side has a case file.
        "publish": DraftIn(
            public_title="Parcela u centru data u zakup bez javnog oglasa (demo)",
            public_summary="Izmišljeni primer: gradsko zemljište u zakupu bez oglasa, ispod tržišne cene.",
            public_body=(
                "Izmišljeni primer za isprobavanje platforme. Prema dokumentima koje je dostavio član "
                "mreže, opštinsko veće je parcelu od 12 ari u centru grada dalo u dugoročni zakup "
                "privatnoj firmi bez javnog oglasa, po ceni nižoj od tržišne. Fotografija table na "
                "gradilištu objavljena je bez metapodataka; njen SHA-256 se proverava na stranici "
                "za proveru."
            ),
        ),
    },
    {
        "author": "clan",
        "submit": False,
        "case": CaseIn(
            title="Zapošljavanje u JKP pred izbore (nacrt, demo)",
            narrative="Izmišljeni primer u pripremi: spisak novozaposlenih pred lokalne izbore.",
            incident_date=datetime.date(2026, 1, 1),
            incident_date_precision=DatePrecision.year,
            municipality="nis-medijana",
            categories=["public_companies_utilities", "elections_vote_buying"],
        ),
        "files": [],
    },
]


#: More fictional published case files, so that search, filters, statistics, feeds and actor pages
#: have something to show: (title, summary, municipality, categories, incident date, actors named
#: publicly as (name, kind, role)). Texts only (no files): seeding needs no OCR.
MORE_PUBLISHED: list[
    tuple[str, str, str, list[str], datetime.date, list[tuple[str, ActorKind, ActorRole]]]
] = [
    (
        "Ugovor o održavanju puteva bez konkurencije (demo)",
        "Izmišljeni primer: jedina ponuda na tenderu za puteve, od firme povezane sa odbornikom.",
        "kraljevo",
        ["procurement_public_money"],
        datetime.date(2025, 11, 4),
        [("Put Primer d.o.o. (demo)", ActorKind.company, ActorRole.alleged_perpetrator)],
    ),
    (
        "Zapošljavanje u javnom preduzeću preko stranačke liste (demo)",
        "Izmišljeni primer: dvadeset novih radnika komunalnog preduzeća, svi sa iste stranačke liste.",
        "kraljevo",
        ["employment_patronage", "public_companies_utilities"],
        datetime.date(2026, 1, 20),
        [("JKP Primerovo (demo)", ActorKind.institution, ActorRole.institution_involved)],
    ),
    (
        "Pritisak na lokalni portal posle teksta o budžetu (demo)",
        "Izmišljeni primer: oglasi opštine povučeni sa portala dan posle kritičkog teksta.",
        "kragujevac",
        ["media_capture", "intimidation"],
        datetime.date(2025, 9, 12),
        [("Portal Primer (demo)", ActorKind.media, ActorRole.affected_person)],
    ),
    (
        "Građevinska dozvola izdata mimo plana (demo)",
        "Izmišljeni primer: dozvola za zgradu na zelenoj površini, uprkos planu detaljne regulacije.",
        "novi-sad",
        ["urban_planning_land"],
        datetime.date(2026, 2, 3),
        [("Opštinska uprava Primerovo (demo)", ActorKind.institution, ActorRole.institution_involved)],
    ),
    (
        "Kupovina glasova paketima pred lokalne izbore (demo)",
        "Izmišljeni primer: paketi hrane deljeni uz spisak birača nedelju dana pre izbora.",
        "nis",
        ["elections_vote_buying"],
        datetime.date(2025, 6, 1),
        [],
    ),
    (
        "Inspekcija zatvorila radnju posle prijave korupcije (demo)",
        "Izmišljeni primer: tri inspekcije za nedelju dana, sve kod vlasnice koja je prijavila mito.",
        "subotica",
        ["inspections_regulators", "intimidation"],
        datetime.date(2025, 10, 15),
        [],
    ),
    (
        "Nabavka vozila po ceni višoj od tržišne (demo)",
        "Izmišljeni primer: službeni automobili plaćeni trećinu više nego u susednim opštinama.",
        "valjevo",
        ["procurement_public_money"],
        datetime.date(2026, 3, 2),
        [("Opštinska uprava Primerovo (demo)", ActorKind.institution, ActorRole.institution_involved)],
    ),
    (
        "Krivična prijava odbačena bez saslušanja svedoka (demo)",
        "Izmišljeni primer: tužilaštvo odbacilo prijavu o nameštenoj nabavci bez ijednog saslušanja.",
        "uzice",
        ["prosecution_courts"],
        datetime.date(2025, 4, 22),
        [],
    ),
    (
        "Policija zaustavljala aktiviste pred sednicu veća (demo)",
        "Izmišljeni primer: provere dokumenata ispred zgrade opštine pola sata pre sednice.",
        "sabac",
        ["police_security", "intimidation"],
        datetime.date(2026, 2, 18),
        [],
    ),
    (
        "Subvencije firmi čiji je vlasnik kum funkcionera (demo)",
        "Izmišljeni primer: tri godine zaredom najveća opštinska subvencija istoj firmi.",
        "leskovac",
        ["procurement_public_money", "other"],
        datetime.date(2024, 12, 9),
        [("Put Primer d.o.o. (demo)", ActorKind.company, ActorRole.alleged_perpetrator)],
    ),
]


def _more_published() -> list[DemoCase]:
    out: list[DemoCase] = []
    for title, summary, place, topics, when, named in MORE_PUBLISHED:
        body = (
            f"{summary} Ovo je izmišljen slučaj za isprobavanje pretrage, filtera, statistike i "
            "fidova; imena firmi i ustanova su izmišljena."
        )
        out.append(
            DemoCase(
                author="clan2",
                submit=True,
                case=CaseIn(
                    title=title,
                    narrative=body,
                    incident_date=when,
                    municipality=place,
                    categories=topics,
                    actors=[ActorIn(name=name, kind=kind, role=role) for name, kind, role in named],
                ),
                files=[],
                publish=DraftIn(public_title=title, public_summary=summary, public_body=body),
            )
        )
    return out


async def seed_demo(settings: Settings, vault: Vault, signer: Signer) -> list[DemoAccount]:
    """Create the demo members and cases in one transaction (all or nothing); returns the accounts
    with their generated passwords."""
    async with db.transaction():
        return await _seed(settings, vault, signer)


async def _seed(settings: Settings, vault: Vault, signer: Signer) -> list[DemoAccount]:
    accounts: dict[str, tuple[DemoAccount, Member]] = {}
    for handle, role, name, profession in DEMO_PEOPLE:
        account = DemoAccount(
            email=f"{handle}@{DEMO_DOMAIN}",
            password=secrets.token_urlsafe(12),
            role=role,
            display_name=name,
            profession=profession,
        )
        member = await create_member(
            email=account.email,
            password=account.password,
            display_name=name,
            role=role,
            profession=profession,
        )
        accounts[handle] = (account, member)

    ctx = ServiceContext(vault=vault, signer=signer, settings=settings)
    published: list[uuid.UUID] = []
    for demo in [*DEMO_CASES, *_more_published()]:
        _, member = accounts[str(demo["author"])]
        principal = principal_from(member, via="session", credential_id=member.id, signer=signer)
        created = await cases_service.create_case(ctx, principal, demo["case"])
        files = [(name, content if content is not None else _demo_png()) for name, content in demo["files"]]
        if files:
            await evidence.add_attachments(ctx, principal, created.id, _parts(files))
        if demo["submit"]:
            await submission.submit_case(ctx, principal, created.id)
        if "publish" in demo:
            await _review_and_publish(ctx, accounts, created.id, demo["publish"], referral=len(published) % 3)
            published.append(created.id)
    # One published case corrected and one retracted, each by two editors.
    await _correct_and_retract(ctx, accounts, corrected=published[1], retracted=published[-1])
    return [account for account, _ in accounts.values()]


async def _correct_and_retract(
    ctx: ServiceContext,
    accounts: dict[str, tuple[DemoAccount, Member]],
    *,
    corrected: uuid.UUID,
    retracted: uuid.UUID,
) -> None:
    reviewer, editor, second = (
        principal_from(member, via="session", credential_id=member.id, signer=ctx.signer)
        for _, member in (accounts["recenzent"], accounts["urednik"], accounts["urednica"])
    )
    draft = await publication_drafts.get_draft(ctx, reviewer, corrected)
    await publication_drafts.save_draft(
        ctx,
        reviewer,
        corrected,
        DraftIn(
            public_title=draft.public_title,
            public_summary=draft.public_summary,
            public_body=draft.public_body + " Ispravka: iznos ugovora je 2,4 miliona dinara, ne 4,2.",
            public_actor_ids=draft.public_actor_ids,
            attachments=[
                DecisionIn(attachment_id=d.attachment_id, decision=d.decision)
                for d in draft.attachments
                if d.decision is not None
            ],
        ),
    )
    await review.transition(ctx, editor, corrected, "correct", "Ispravljen iznos ugovora (demo).")
    await review.transition(ctx, second, corrected, "confirm_correction", None)
    await review.transition(ctx, editor, retracted, "retract", "Izvor je povukao izjavu (demo).")
    await review.transition(ctx, second, retracted, "confirm_retraction", None)


async def _review_and_publish(
    ctx: ServiceContext,
    accounts: dict[str, tuple[DemoAccount, Member]],
    case_id: uuid.UUID,
    public_version: DraftIn,
    *,
    referral: int = 0,
) -> None:
    """The whole review workflow, as the review team would go through it: the reviewer verifies and
    drafts the public version (images published as filed, which strips their metadata, once the
    leak check has read them; other files withheld), the editor approves and publishes (signing a
    checkpoint)."""
    reviewer, editor = (
        principal_from(member, via="session", credential_id=member.id, signer=ctx.signer)
        for _, member in (accounts["recenzent"], accounts["urednik"])
    )
    await review.transition(ctx, reviewer, case_id, "start_review", None)
    # The reviewer links the actors the member named to shared records, and shows them publicly
    # (never a protected one). A link gives the case's actor the shared record's id.
    case = await cases_service.get_case(ctx, reviewer, case_id)
    for actor in list(case.actors):
        if not actor.protect_identity:
            case = await review_actors.link_actor(
                ctx, reviewer, case_id, actor.actor_id, ActorLinkIn(name=actor.name)
            )
    public_ids = [actor.actor_id for actor in case.actors if actor.shared and not actor.protect_identity]
    await review.transition(ctx, reviewer, case_id, "verify", None)
    files = await Attachment.select(Attachment.id, Attachment.content_type).where(Attachment.case == case_id)
    # Without Tesseract no file can pass the leak check: the demo then publishes the texts only.
    readable = await filecheck.ocr_problem(ctx) is None
    decisions = [
        DecisionIn(
            attachment_id=row["id"],
            decision=Decision.publish_as_filed
            if readable and row["content_type"].startswith("image/")
            else Decision.withhold,
        )
        for row in files
    ]
    referral_ids = [await _demo_referral(ctx, reviewer, case, answered=referral == 1)] if referral else []
    await publication_drafts.save_draft(
        ctx,
        reviewer,
        case_id,
        msgspec.structs.replace(
            public_version,
            attachments=decisions,
            public_actor_ids=public_ids,
            public_referral_ids=referral_ids,
        ),
    )
    # The leak check reads the copies to be published (a job; here, before approving, at once).
    await filecheck.run_pending(ctx)
    await review.transition(ctx, editor, case_id, "approve", None)
    await review.transition(ctx, editor, case_id, "publish", None)


async def _demo_referral(
    ctx: ServiceContext, reviewer: Principal, case: CaseOut, *, answered: bool
) -> uuid.UUID:
    """A request for information of public importance to the case's municipal administration, sent
    six weeks ago: answered late, or still unanswered (overdue)."""
    today = referral_deadlines.today()
    place = municipality(case.municipality)
    administration = f"Gradska uprava {place.name_latn if place else case.municipality}"
    made = await referrals.record_referral(
        ctx,
        reviewer,
        case.id,
        ReferralIn(
            kind="information_request",
            institution=InstitutionIn(name=administration),
            sent_at=today - datetime.timedelta(days=42),
            channel=Channel.email,
        ),
    )
    if answered:
        await referrals.record_answer(
            ctx,
            reviewer,
            case.id,
            made.id,
            AnswerIn(received_at=today - datetime.timedelta(days=20), outcome=Outcome.partly_answered),
        )
    return made.id


async def database_is_empty() -> bool:
    return not await Member.exists() and not await Case.exists()


def write_credentials(settings: Settings, accounts: list[DemoAccount]) -> Path:
    path = settings.data_dir / "demo-accounts.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "Demo accounts (fictional people; for trying the platform on this machine only).",
        "Reviewers, editors and the admin enrol a second factor (TOTP) at their first log-in.",
        "",
        *(f"{a.role.value:9} {a.email:32} {a.password}" for a in accounts),
        "",
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return path
