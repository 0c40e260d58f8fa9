"""Many published cases, fast, for benchmarks of the public side (SQLite and PostgreSQL).

    engine = db.create_engine(settings); await db.migrate(engine, settings)  # binds the engine
    cases = await seed_published(100_000, seed=1)

The public API reads only the publication tables, so a case is seeded as the publishing side leaves
it (`publication.service.write_revision`): a `PublicCase`, one immutable `PublishedRevision` per
revision (a few cases are corrected, so they have two, and a few are retracted), a `PublishedActor`
row per shown actor and revision, the public texts folded into `search_text` by the project's own
`publication.public.search_text` (that is `reference.fold`). The search index follows by itself: on
SQLite the migration's triggers fill the FTS5 table on every insert, on PostgreSQL the database
generates the column `search_vector` from `search_text` and its GIN index is an ordinary index.
Published files are left out.

Behind each public case is a `Case` row (status published, the reference, date, municipality and
categories, shown actors linked) that the public side never reads: its sealed fields are empty
placeholders, and there are no attachments, transitions or custody entries. Do not run key
rotation or reconciliation on a corpus database.

Rows go in with the driver's bulk path (asyncpg's COPY, sqlite3's executemany), a few thousand
cases per transaction; 100,000 cases take about a minute on SQLite. Calling `seed_published` again
continues the same sequence: 10,000 then 90,000 more give the same 100,000 cases as one call.

The texts are generated from word lists: Serbian (mostly Latin, some in Cyrillic through
`reference.to_cyrillic`) and some English, about local procurement, permits, zoning, patronage
and the rest of the taxonomy. Places are real municipalities (reference data); every organisation
is invented and no person is named, only functions ("direktor javnog preduzeća").
"""

from __future__ import annotations

import datetime
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from integrity import db
from integrity.publication.search import place_names, search_text
from integrity.reference import Municipality, categories, municipalities, to_cyrillic

#: Cases per transaction.
BATCH = 2_000
#: The first case is published at this time, each next one 20 minutes later (100,000: ~3.8 years).
FIRST_PUBLISHED = datetime.datetime(2022, 1, 3, 9, 0, tzinfo=datetime.UTC)
STEP = datetime.timedelta(minutes=20)
CORRECTED_SHARE = 0.03
RETRACTED_SHARE = 0.005
CYRILLIC_SHARE = 0.17
ENGLISH_SHARE = 0.08
#: Share of cases that mention one of `RARE_WORDS` (each word: about 1 case in 2,000).
RARE_SHARE = 0.01
CORPUS_DOMAIN = "corpus.integrity.invalid"

# --- word lists -------------------------------------------------------------------------------------

#: Words that few cases contain, for "rare word" searches.
RARE_WORDS = (
    "žičara",
    "akvapark",
    "hipodrom",
    "planetarijum",
    "heliodrom",
    "vetropark",
    "ribnjak",
    "skijalište",
    "opservatorija",
    "kartodrom",
    "streljana",
    "marina",
    "ergela",
    "hladnjača",
    "silos",
    "pristanište",
    "amfiteatar",
    "fontana",
    "gondola",
    "vidikovac",
)

# Invented roots for organisations' names (put together, they name nothing real).
_ROOTS_A = ("Kavi", "Mor", "Vre", "Tali", "Dunro", "Sele", "Bran", "Lopa", "Zeni", "Ravo", "Kuri", "Peli")
_ROOTS_B = ("len", "sel", "lica", "mont", "dar", "vik", "gor", "nel", "tan", "rin")
_COMPANY_KINDS = ("Gradnja", "Trejd", "Inženjering", "Projekt", "Servis", "Invest", "Kom", "Eko")
_INSTITUTIONS = (
    "JKP {root}",
    "Javno preduzeće {root}",
    "Turistička organizacija {root}",
    "Sportski centar {root}",
    "Ustanova kulture {root}",
    "Regionalna agencija {root}",
)
_MEDIA = ("Portal {root} info", "TV {root}", "Nedeljnik {root}")

#: Functions, never names: nobody in the corpus is a person.
_OFFICIALS = (
    "direktor javnog preduzeća",
    "načelnik opštinske uprave",
    "predsednik opštine",
    "pomoćnik gradonačelnika",
    "šef odseka za urbanizam",
    "član opštinskog veća",
    "predsednik komisije za javne nabavke",
    "komandir policijske stanice",
)
_OFFICIALS_EN = (
    "the director of a public utility",
    "the head of the municipal administration",
    "the mayor's assistant",
    "a member of the municipal council",
    "the chair of the procurement commission",
)
_MONTHS_LOC = (
    "januaru",
    "februaru",
    "martu",
    "aprilu",
    "maju",
    "junu",
    "julu",
    "avgustu",
    "septembru",
    "oktobru",
    "novembru",
    "decembru",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: What a tender is for (accusative, after "za").
_WORKS = (
    "rekonstrukciju vrtića",
    "asfaltiranje lokalnih puteva",
    "nabavku školskih udžbenika",
    "održavanje javne rasvete",
    "izgradnju kružnog toka",
    "sanaciju gradskog bazena",
    "uređenje gradskog parka",
    "zamenu vodovodnih cevi",
    "izgradnju sportske hale",
    "nabavku sanitetskih vozila",
    "novogodišnju dekoraciju",
    "zimsko održavanje ulica",
    "izgradnju kanalizacije",
    "energetsku sanaciju škole",
    "nabavku kancelarijskog nameštaja",
    "izradu projektne dokumentacije",
)
_WORKS_EN = (
    "kindergarten renovation",
    "road resurfacing",
    "street lighting maintenance",
    "a roundabout",
    "water pipe replacement",
    "a sports hall",
    "school textbooks",
    "winter road maintenance",
)
_BUILDINGS = (
    "stambeni kompleks na obali reke",
    "benzinsku pumpu u zaštićenoj zoni",
    "tržni centar na mestu parka",
    "poslovni objekat u dvorištu škole",
    "hotel na gradskom izletištu",
    "stambenu zgradu sa dva sprata više od plana",
    "magacin na poljoprivrednom zemljištu",
)
_PLACES_OF_WORK = (
    "javnom komunalnom preduzeću",
    "domu zdravlja",
    "opštinskoj upravi",
    "turističkoj organizaciji",
    "centru za socijalni rad",
    "predškolskoj ustanovi",
    "gradskoj toplani",
)
_PROJECTS = (
    "izgradnji mini hidroelektrane",
    "seči šume u parku",
    "proširenju deponije",
    "otvaranju kamenoloma",
    "betoniranju rečnog korita",
    "zatvaranju seoske škole",
)
_WHO = (
    "aktivistu lokalnog udruženja",
    "novinara lokalnog portala",
    "odbornika opozicije",
    "predstavnika mesne zajednice",
    "člana ekološkog pokreta",
)

#: Per category: title templates, one-sentence summaries, and body sentences (Serbian Latin).
_THEMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "procurement_public_money": (
        (
            "Tender za {work} dodeljen povezanoj firmi",
            "Nameštena javna nabavka za {work}",
            "Aneks ugovora za {work} udvostručio cenu",
            "Jedna ponuda na tenderu za {work}",
        ),
        (
            "Ugovor vredan {amount} dobila je firma {company}, jedini ponuđač.",
            "Uslovi tendera pisani su tako da ih ispunjava samo {company}.",
            "Posao je plaćen {amount}, a radovi nisu završeni ni posle godinu dana.",
        ),
        (
            "Konkursna dokumentacija tražila je reference koje je imala samo firma {company}.",
            "Rok za podnošenje ponuda bio je svega osam dana, usred praznika.",
            "Procenjena vrednost nabavke bila je {amount}, a ugovor je potpisan na iznos veći za trećinu.",
            "Članovi komisije za javne nabavke potpisali su izjave o odsustvu sukoba interesa.",
            "Firma {company} osnovana je samo nekoliko meseci pre raspisivanja tendera.",
            "Radovi su primljeni bez primedbi, iako je nadzor upozoravao na nedostatke.",
            "Republička komisija za zaštitu prava u postupcima javnih nabavki poništila je deo postupka.",
        ),
    ),
    "urban_planning_land": (
        (
            "Građevinska dozvola za {building} izdata mimo plana",
            "Izmena plana detaljne regulacije u korist investitora",
            "Prenamena poljoprivrednog zemljišta u građevinsko",
            "Zakup gradskog građevinskog zemljišta ispod tržišne cene",
            "Legalizacija bespravnog objekta preko reda",
        ),
        (
            "Investitor {company} dobio je dozvolu za {building} pre javnog uvida.",
            "Plan je izmenjen posle zahteva firme {company}, bez rasprave u skupštini opštine.",
            "Zemljište je izdato u zakup za {amount}, daleko ispod procene.",
        ),
        (
            "Javni uvid u izmene plana trajao je kraće nego što zakon propisuje.",
            "Urbanistička komisija dala je pozitivno mišljenje na sednici bez kvoruma.",
            "Meštani su podneli primedbe na plan, ali one nisu razmatrane.",
            "Građevinska inspekcija nije izašla na teren iako su radovi počeli bez dozvole.",
            "Spratnost objekta veća je od one koju plan dozvoljava.",
            "Procena vrednosti zemljišta naručena je od agencije povezane sa investitorom.",
        ),
    ),
    "employment_patronage": (
        (
            "Zapošljavanje po partijskoj liniji u {work_place}",
            "Konkurs za radna mesta u {work_place} namešten unapred",
            "Privremeni ugovori u {work_place} uslovljeni članstvom u stranci",
        ),
        (
            "Od {n} primljenih radnika većina je na spiskovima stranke na vlasti.",
            "Zaposleni na privremenim ugovorima moraju da prisustvuju stranačkim skupovima.",
        ),
        (
            "Oglas za posao objavljen je samo na oglasnoj tabli, na dan isteka roka.",
            "Kandidati bez stranačke preporuke nisu pozvani na razgovor.",
            "Broj zaposlenih povećan je za {n} uprkos zabrani zapošljavanja u javnom sektoru.",
            "Rukovodioci su zaposlenima delili spiskove sigurnih glasova.",
            "Sindikat je upozorio na zapošljavanje bez javnog konkursa.",
        ),
    ),
    "police_security": (
        (
            "Policija privela {who} posle protesta",
            "Pretres prostorija lokalnog udruženja bez naloga",
            "Saobraćajna policija selektivno kažnjava kritičare vlasti",
        ),
        (
            "Policijska stanica nije izdala pisani nalog za zadržavanje.",
            "Privođenje je usledilo dan posle objave teksta o {work_topic}.",
        ),
        (
            "Zadržavanje je trajalo više od osam sati, bez prisustva advokata.",
            "Pritužba Sektoru unutrašnje kontrole policije ostala je bez odgovora.",
            "Snimci sa mesta događaja pokazuju da nije bilo ometanja saobraćaja.",
            "Prekršajni nalozi izdati su samo učesnicima skupa, ne i organizatorima kontraskupa.",
        ),
    ),
    "prosecution_courts": (
        (
            "Tužilaštvo mesecima ne postupa po prijavi protiv funkcionera",
            "Zastarela krivična prijava o nabavci za {work}",
            "Sud odbio da izvede dokaze o zloupotrebi službenog položaja",
        ),
        (
            "Krivična prijava protiv funkcije {official} stoji u fioci od {year}. godine.",
            "Postupak je obustavljen jer je nastupila zastarelost.",
        ),
        (
            "Tužilaštvo nije saslušalo nijednog svedoka koje je predložio podnosilac prijave.",
            "Predmet je tri puta prebacivan između odeljenja.",
            "Veštačenje je povereno veštaku koji je ranije radio za opštinu.",
            "Odluka o odbacivanju prijave nije dostavljena oštećenima.",
        ),
    ),
    "media_capture": (
        (
            "Opštinski novac za informisanje završio kod portala bliskog vlasti",
            "Konkurs za sufinansiranje medija namešten",
            "Pritisak na novinare posle teksta o {work_topic}",
        ),
        (
            "Medij {media} dobio je {amount} iako nema ni deset tekstova mesečno.",
            "Komisiju konkursa činili su ljudi bliski opštinskoj vlasti.",
        ),
        (
            "Nezavisni lokalni mediji nisu dobili ništa na konkursu.",
            "Novinarki je uskraćena akreditacija za sednice skupštine opštine.",
            "Oglasi javnih preduzeća objavljuju se samo u medijima bliskim vlasti.",
            "Udruženja novinara zatražila su poništavanje konkursa.",
        ),
    ),
    "elections_vote_buying": (
        (
            "Kupovina glasova paketima hrane pred lokalne izbore",
            "Zaposleni u javnim preduzećima primorani da dovedu glasače",
            "Podela građevinskog materijala pred izbore",
        ),
        (
            "Paketi su deljeni iz prostorija mesne zajednice uz spisak birača.",
            "Od zaposlenih je traženo po {n} sigurnih glasova.",
        ),
        (
            "Na spiskovima su bili i birači koji godinama ne žive u opštini.",
            "Posmatrači su zabeležili organizovan prevoz birača do biračkih mesta.",
            "Opštinska izborna komisija odbila je prigovore bez obrazloženja.",
            "Socijalna pomoć isplaćena je nedelju dana pred glasanje.",
        ),
    ),
    "intimidation": (
        (
            "Pretnje aktivistima koji su se protivili {project}",
            "Otkaz zaposlenoj posle prijave nepravilnosti",
            "Inspekcija upućena na porodičnu firmu posle kritike vlasti",
        ),
        (
            "Aktivistima koji su se protivili {project} prećeno je telefonom i na mrežama.",
            "Zaposlena je dobila otkaz nedelju dana posle prijave unutrašnjoj reviziji.",
        ),
        (
            "Pretnje su prijavljene policiji, ali počinioci nisu identifikovani.",
            "Na automobilu jednog od aktivista oštećene su gume.",
            "Lokalni portal objavio je lične podatke potpisnika peticije.",
            "Uzbunjivač je premešten na radno mesto bez ikakvih zaduženja.",
        ),
    ),
    "public_companies_utilities": (
        (
            "JKP isplaćuje bonuse rukovodstvu uprkos gubicima",
            "Cena vode povećana bez saglasnosti skupštine",
            "Javno preduzeće kupilo vozila po dvostrukoj ceni",
            "Toplana nabavila mazut preko posrednika",
        ),
        (
            "Preduzeće {institution} prošle godine imalo je gubitak od {amount}.",
            "Posrednik {company} zaradio je na razlici u ceni {amount}.",
        ),
        (
            "Nadzorni odbor nije održao nijednu sednicu u toku godine.",
            "Izveštaj revizora ukazao je na nenamenski utrošena sredstva.",
            "Građani su dobijali račune za usluge koje nisu pružene.",
            "Direktor je imenovan kao vršilac dužnosti i na toj funkciji je već četiri godine.",
        ),
    ),
    "inspections_regulators": (
        (
            "Građevinska inspekcija ruši samo objekte kritičara",
            "Tržišna inspekcija zatvorila lokal posle protesta",
            "Ekološka inspekcija ne izlazi na prijavu o zagađenju reke",
            "Komunalna inspekcija selektivno naplaćuje kazne",
        ),
        (
            "Inspekcija je u istoj ulici kontrolisala samo lokal čiji je vlasnik potpisao peticiju.",
            "Prijava o zagađenju ostala je bez odgovora {days} dana.",
        ),
        (
            "Rešenje o rušenju doneto je za nekoliko dana, mimo redosleda predmeta.",
            "Merenja kvaliteta vode pokazuju višestruko prekoračenje dozvoljenih vrednosti.",
            "Zapisnik inspektora ne navodi nijednu konkretnu nepravilnost.",
            "Firme povezane sa vlašću nisu kontrolisane godinama.",
        ),
    ),
    "other": (
        (
            "Opštinski automobil korišćen u privatne svrhe",
            "Sponzorstvo festivala preko povezanog udruženja",
            "Subvencije za poljoprivrednike dodeljene odbornicima",
        ),
        (
            "Iz budžeta je za ovu namenu isplaćeno {amount}.",
            "Korisnici subvencija su uglavnom rođaci članova opštinskog veća.",
        ),
        (
            "Putni nalozi popunjavani su unazad.",
            "Udruženje je registrovano na adresi opštinske uprave.",
            "Izveštaj o utrošku sredstava nikada nije podnet.",
        ),
    ),
}
_TOPICS = ("javnim nabavkama", "deponiji", "zapošljavanju u opštini", "gradskom budžetu", "urbanizmu")
_GENERIC = (
    "Prema dokumentaciji do koje je došla mreža, odluka je doneta bez javne rasprave.",
    "Odbornici opozicije tražili su uvid u ugovor, ali im on nije dostavljen.",
    "Zahtev za pristup informacijama od javnog značaja ostao je bez odgovora {days} dana.",
    "Poverenik za informacije od javnog značaja naložio je da se dokumenta dostave.",
    "Slučaj je prijavljen nadležnom tužilaštvu u {month} {year}. godine.",
    "Iz opštinske uprave odgovoreno je da je postupak sproveden u skladu sa zakonom.",
    "Meštani su o problemu obavestili lokalne medije i mesnu zajednicu.",
    "Vrednost posla procenjena je na {amount}.",
    "Građani su predali peticiju sa {n} potpisa.",
    "Funkcija {official} pominje se u više dokumenata u vezi sa ovim slučajem.",
    "Budžetska inspekcija je najavila kontrolu, ali nalaz nije objavljen.",
    "Slučaj se nastavlja na ranije prijave iz iste opštine.",
)
_RARE_SENTENCE = "U istoj dokumentaciji pominje se i projekat „{rare}“."
#: English titles by category (others fall back to "other").
_ENGLISH_TITLES: dict[str, tuple[str, ...]] = {
    "procurement_public_money": (
        "Tender for {work_en} in {place} awarded to a connected company",
        "Single bid in the tender for {work_en} in {place}",
    ),
    "urban_planning_land": (
        "Building permit issued against the zoning plan in {place}",
        "Farmland in {place} rezoned for an investor",
    ),
    "employment_patronage": ("Party hiring at a public utility in {place}",),
    "media_capture": ("Local media funds in {place} went to an outlet close to the authorities",),
    "intimidation": ("Activists in {place} threatened after opposing a landfill",),
    "inspections_regulators": ("Inspections in {place} target critics of the local government",),
    "public_companies_utilities": ("Water price in {place} raised without the council's consent",),
    "elections_vote_buying": ("Food parcels handed out for votes before local elections in {place}",),
    "other": ("Municipal car in {place} used for private trips",),
}
_ENGLISH: dict[str, tuple[str, ...]] = {
    "summaries": (
        "A contract worth {amount} went to {company}, the only bidder.",
        "The municipality changed the plan after a request from {company}.",
        "Documents seen by the network show the decision was taken without a public hearing.",
    ),
    "body": (
        "The tender documentation required references that only {company} had.",
        "Opposition councillors asked to see the contract but never received it.",
        "A freedom of information request went unanswered for {days} days.",
        "The case was reported to the prosecutor's office in {month_en} {year}.",
        "The municipal administration replied that the procedure was lawful.",
        "Residents petitioned the council with {n} signatures.",
        "The role of {official_en} is mentioned in several documents of the case.",
        "Two independent reviewers of the network checked the documents before publication.",
    ),
}

_ACTOR_ROLES = ("alleged_perpetrator", "institution_involved", "affected_person", "witness")


# --- the generated cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusActor:
    id: uuid.UUID
    name: str
    kind: str


@dataclass(frozen=True)
class SeededCase:
    """One seeded case as the public API shows it (its current revision)."""

    index: int
    reference: str
    case_id: uuid.UUID
    title: str
    summary: str
    #: "sr-Latn", "sr-Cyrl" or "en": the script and language of the public texts.
    language: str
    municipality: str
    district: str | None
    categories: tuple[str, ...]
    incident_date: datetime.date
    published_at: datetime.datetime
    revision: int
    retracted: bool
    actor_ids: tuple[uuid.UUID, ...]


@dataclass
class _Revision:
    title: str
    summary: str
    body: str
    published_at: datetime.datetime
    correction_note: str | None


@dataclass
class _Generated:
    index: int
    case_id: uuid.UUID
    language: str
    municipality: Municipality
    categories: list[str]
    incident_date: datetime.date
    precision: str
    actors: list[tuple[CorpusActor, str]]
    revisions: list[_Revision] = field(default_factory=list)
    retracted_at: datetime.datetime | None = None


def _root(rng: random.Random) -> str:
    return rng.choice(_ROOTS_A) + rng.choice(_ROOTS_B)


def actor_pool(seed: int) -> list[CorpusActor]:
    """The invented companies, institutions and media the cases name (shared across cases)."""
    rng = random.Random(f"corpus-actors-{seed}")
    names: dict[str, str] = {}
    while len(names) < 300:
        names.setdefault(f"{_root(rng)} {rng.choice(_COMPANY_KINDS)} d.o.o.", "company")
    while len(names) < 420:
        names.setdefault(rng.choice(_INSTITUTIONS).format(root=_root(rng)), "institution")
    while len(names) < 460:
        names.setdefault(rng.choice(_MEDIA).format(root=_root(rng)), "media")
    return [
        CorpusActor(id=uuid.uuid5(uuid.NAMESPACE_URL, f"{CORPUS_DOMAIN}/{seed}/{name}"), name=name, kind=kind)
        for name, kind in names.items()
    ]


def _amount(rng: random.Random) -> str:
    value = rng.randrange(400, 90_000) * 1_000
    return f"{value:,}".replace(",", ".") + " dinara"


def _fill(template: str, rng: random.Random, slots: dict[str, str]) -> str:
    values = {
        "amount": _amount(rng),
        "n": str(rng.randrange(12, 900)),
        "days": str(rng.randrange(15, 200)),
        "year": str(rng.randrange(2019, 2026)),
        "month": rng.choice(_MONTHS_LOC),
        "month_en": rng.choice(_MONTHS_EN),
        "official": rng.choice(_OFFICIALS),
        "official_en": rng.choice(_OFFICIALS_EN),
        "work": rng.choice(_WORKS),
        "work_en": rng.choice(_WORKS_EN),
        "work_topic": rng.choice(_TOPICS),
        "work_place": rng.choice(_PLACES_OF_WORK),
        "building": rng.choice(_BUILDINGS),
        "project": rng.choice(_PROJECTS),
        "who": rng.choice(_WHO),
        **slots,
    }
    # A company's name ends in a full stop ("d.o.o."): one is enough at the end of a sentence.
    return template.format(**values).replace("d.o.o..", "d.o.o.")


def _texts(rng: random.Random, language: str, category: str, slots: dict[str, str]) -> tuple[str, str, str]:
    if language == "en":
        title = _fill(rng.choice(_ENGLISH_TITLES.get(category, _ENGLISH_TITLES["other"])), rng, slots)
        summary = _fill(rng.choice(_ENGLISH["summaries"]), rng, slots)
        sentences = rng.sample(_ENGLISH["body"], rng.randrange(3, 7))
        return title, summary, " ".join(_fill(s, rng, slots) for s in sentences)
    titles, summaries, specific = _THEMES[category]
    title = _fill(rng.choice(titles), rng, slots) + ", " + slots["place"]
    summary = _fill(rng.choice(summaries), rng, slots)
    sentences = rng.sample(specific, min(len(specific), rng.randrange(2, 5)))
    sentences += rng.sample(_GENERIC, rng.randrange(2, 5))
    rng.shuffle(sentences)
    if rng.random() < RARE_SHARE:
        sentences.insert(
            rng.randrange(len(sentences) + 1), _RARE_SENTENCE.format(rare=rng.choice(RARE_WORDS))
        )
    body = " ".join(_fill(s, rng, slots) for s in sentences)
    paragraphs = [body]
    if rng.random() < 0.5:
        paragraphs.append(_fill(rng.choice(_GENERIC), rng, slots))
    body = "\n\n".join(paragraphs)
    if language == "sr-Cyrl":
        return to_cyrillic(title), to_cyrillic(summary), to_cyrillic(body)
    return title, summary, body


def _weighted_categories() -> tuple[list[str], list[int]]:
    weights = {
        "procurement_public_money": 30,
        "urban_planning_land": 16,
        "employment_patronage": 14,
        "public_companies_utilities": 9,
        "media_capture": 6,
        "elections_vote_buying": 6,
        "intimidation": 6,
        "inspections_regulators": 5,
        "police_security": 4,
        "prosecution_courts": 3,
        "other": 1,
    }
    codes = [c.code for c in categories()]
    return codes, [weights.get(code, 1) for code in codes]


@dataclass(frozen=True)
class _Pools:
    places: tuple[Municipality, ...]
    companies: tuple[CorpusActor, ...]
    institutions: tuple[CorpusActor, ...]
    media: tuple[CorpusActor, ...]
    codes: tuple[str, ...]
    weights: tuple[int, ...]

    @classmethod
    def build(cls, actors: Sequence[CorpusActor]) -> _Pools:
        codes, weights = _weighted_categories()
        return cls(
            places=municipalities(),
            companies=tuple(a for a in actors if a.kind == "company"),
            institutions=tuple(a for a in actors if a.kind == "institution"),
            media=tuple(a for a in actors if a.kind == "media"),
            codes=tuple(codes),
            weights=tuple(weights),
        )


def _generate(seed: int, index: int, pools: _Pools) -> _Generated:
    rng = random.Random(f"corpus-{seed}-{index}")
    codes = list(pools.codes)
    primary = rng.choices(codes, pools.weights)[0]
    chosen = [primary] + [c for c in rng.sample(codes, rng.choice((0, 0, 1, 1, 2))) if c != primary]
    place = rng.choice(pools.places)
    roll = rng.random()
    language = (
        "en" if roll < ENGLISH_SHARE else "sr-Cyrl" if roll < ENGLISH_SHARE + CYRILLIC_SHARE else "sr-Latn"
    )
    company = rng.choice(pools.companies)
    institution = rng.choice(pools.institutions)
    media = rng.choice(pools.media)
    shown: list[tuple[CorpusActor, str]] = []
    if rng.random() < 0.8:
        shown.append((company, "alleged_perpetrator"))
    if rng.random() < 0.4:
        shown.append((institution, "institution_involved"))
    if primary == "media_capture" and rng.random() < 0.7:
        shown.append((media, rng.choice(_ACTOR_ROLES)))
    slots = {
        "place": place.name_latn,
        "company": company.name,
        "institution": institution.name,
        "media": media.name,
    }
    published_at = FIRST_PUBLISHED + index * STEP + datetime.timedelta(seconds=rng.randrange(0, 600))
    incident = (published_at - datetime.timedelta(days=rng.randrange(20, 700))).date()
    precision = rng.choices(("day", "month", "year"), (85, 12, 3))[0]
    if precision == "month":
        incident = incident.replace(day=1)
    elif precision == "year":
        incident = incident.replace(month=1, day=1)
    generated = _Generated(
        index=index,
        case_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        language=language,
        municipality=place,
        categories=chosen,
        incident_date=incident,
        precision=precision,
        actors=shown,
    )
    title, summary, body = _texts(rng, language, primary, slots)
    generated.revisions.append(_Revision(title, summary, body, published_at, None))
    if rng.random() < CORRECTED_SHARE:
        note = (
            "Ispravljen je iznos ugovora i datum potpisivanja." if language != "en" else "Amount corrected."
        )
        added = _fill(rng.choice(_GENERIC if language != "en" else _ENGLISH["body"]), rng, slots)
        corrected_body = body + "\n\n" + (to_cyrillic(added) if language == "sr-Cyrl" else added)
        later = published_at + datetime.timedelta(days=rng.randrange(1, 30))
        generated.revisions.append(_Revision(title, summary, corrected_body, later, note))
    if rng.random() < RETRACTED_SHARE:
        generated.retracted_at = generated.revisions[-1].published_at + datetime.timedelta(days=3)
    return generated


# --- writing rows ---------------------------------------------------------------------------------------


class _Writer:
    """Bulk inserts on the transaction's own connection: COPY on PostgreSQL, executemany on SQLite.

    On SQLite the rows' values go through the adapters Piccolo registers with `sqlite3` (UUIDs,
    dates and times as Piccolo stores them), so Piccolo reads them back as it reads its own rows.
    """

    def __init__(self, transaction: Any, postgres: bool) -> None:
        self.connection = transaction.connection
        self.postgres = postgres

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.postgres:
            await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))
            return
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        await self.connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608


async def _scalar(sql: str, *args: Any) -> Any:
    rows = await db.bound_engine().run_querystring(_querystring(sql, *args))
    return next(iter(rows[0].values())) if rows else None


def _querystring(sql: str, *args: Any) -> Any:
    from piccolo.querystring import QueryString

    return QueryString(sql, *args)


async def _corpus_member(seed: int) -> uuid.UUID:
    from integrity.accounts.tables import Member

    email = f"corpus-{seed}@{CORPUS_DOMAIN}"
    row = await Member.select(Member.id).where(Member.email == email).first()
    if row is not None:
        return row["id"]
    member_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{CORPUS_DOMAIN}/{seed}/member")
    await Member.insert(
        Member(
            id=member_id,
            email=email,
            display_name=f"Corpus {seed}",
            role="member",
            profession="other",
            password_hash="!",  # never logs in
            is_active=False,
        )
    )
    return member_id


async def _ensure_actors(pool: list[CorpusActor]) -> None:
    from integrity.cases.tables import Actor

    existing = {row["id"] for row in await Actor.select(Actor.id).where(Actor.id.is_in([a.id for a in pool]))}
    missing = [a for a in pool if a.id not in existing]
    if missing:
        await Actor.insert(*[Actor(id=a.id, kind=a.kind, name=a.name, aliases="[]") for a in missing])


def _chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for first in range(start, stop, size):
        yield range(first, min(first + size, stop))


async def seed_published(count: int, *, seed: int = 1, batch: int = BATCH) -> list[SeededCase]:
    """Add `count` published cases to the bound database; returns them (current revisions).

    Cases continue the sequence of this `seed` already in the database, so repeated calls grow one
    corpus. Needs a migrated database bound to the tables (`db.migrate` binds it).
    """
    engine = db.bound_engine()
    postgres = isinstance(engine, PostgresEngine)
    member = await _corpus_member(seed)
    pool = actor_pool(seed)
    await _ensure_actors(pool)
    pools = _Pools.build(pool)
    start = int(await _scalar("SELECT count(*) AS n FROM case_file WHERE submitter = {}", member))
    counters = {
        int(row["year"]): int(row["last"])
        for row in await engine.run_querystring(_querystring("SELECT year, last FROM case_reference_counter"))
    }
    seeded: list[SeededCase] = []
    for indexes in _chunks(start, start + count, batch):
        generated = [_generate(seed, i, pools) for i in indexes]
        async with db.transaction() as transaction:
            public_id = int(await _scalar("SELECT coalesce(max(id), 0) AS n FROM public_case"))
            revision_id = int(await _scalar("SELECT coalesce(max(id), 0) AS n FROM published_revision"))
            rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COLUMNS}
            for case in generated:
                public_id += 1
                first_at = case.revisions[0].published_at
                counters[first_at.year] = counters.get(first_at.year, 0) + 1
                reference = f"IN-{first_at.year}-{counters[first_at.year]:04d}"
                revision_id, out = _case_rows(case, reference, member, public_id, revision_id, rows)
                seeded.append(out)
            writer = _Writer(transaction, postgres)
            for table, columns in _COLUMNS.items():
                await writer.insert(table, columns, rows[table])
            await _save_counters(counters)
    if postgres:
        # Explicit ids leave the serial sequences behind: the next real publication must not collide.
        for table in ("public_case", "published_revision"):
            await engine.run_ddl(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        # What autovacuum would do soon after a bulk load: planner statistics, GIN pending list merged.
        for table in ("case_file", "public_case", "published_revision", "published_actor"):
            await engine.run_ddl(f"VACUUM ANALYZE {table}")
    return seeded


async def _save_counters(counters: dict[int, int]) -> None:
    """Real filings go on from the highest reference the corpus used in each year."""
    for year, last in counters.items():
        await db.bound_engine().run_querystring(
            _querystring(
                "INSERT INTO case_reference_counter (year, last) VALUES ({}, {}) "
                "ON CONFLICT (year) DO UPDATE SET last = excluded.last",
                year,
                last,
            )
        )


_COLUMNS: dict[str, tuple[str, ...]] = {
    "case_file": (
        "id",
        "reference",
        "status",
        "submitter",
        "wrapped_key",
        "key_id",
        "title_sealed",
        "narrative_sealed",
        "incident_date",
        "incident_date_precision",
        "municipality",
        "sensitivity",
        "created_at",
        "updated_at",
        "submitted_at",
    ),
    "case_category": ("case", "code"),
    "case_actor": ("case", "actor", "role", "protect_identity"),
    "public_case": (
        "id",
        "case",
        "reference",
        "latest_revision",
        "first_published_at",
        "updated_at",
        "retracted",
        "retraction_note",
        "retracted_at",
    ),
    "published_revision": (
        "id",
        "public_case",
        "reference",
        "revision",
        "title",
        "summary",
        "body",
        "municipality",
        "district",
        "categories",
        "incident_date",
        "incident_date_precision",
        "actors",
        "published_at",
        "correction_note",
        "search_text",
        "is_current",
    ),
    "published_actor": ("actor_id", "revision"),
}


def _case_rows(
    case: _Generated,
    reference: str,
    member: uuid.UUID,
    public_id: int,
    revision_id: int,
    rows: dict[str, list[tuple[Any, ...]]],
) -> tuple[int, SeededCase]:
    first_at = case.revisions[0].published_at
    latest = case.revisions[-1]
    filed_at = first_at - datetime.timedelta(days=14)
    rows["case_file"].append(
        (
            case.case_id,
            reference,
            "retracted" if case.retracted_at else "published",
            member,
            b"",
            "corpus-placeholder",
            b"",
            b"",
            case.incident_date,
            case.precision,
            case.municipality.code,
            "normal",
            filed_at,
            case.retracted_at or latest.published_at,
            filed_at,
        )
    )
    rows["case_category"] += [(case.case_id, code) for code in case.categories]
    rows["case_actor"] += [(case.case_id, actor.id, role, False) for actor, role in case.actors]
    rows["public_case"].append(
        (
            public_id,
            case.case_id,
            reference,
            len(case.revisions),
            first_at,
            case.retracted_at or latest.published_at,
            case.retracted_at is not None,
            "Objavljeni navodi nisu mogli biti potvrđeni." if case.retracted_at else None,
            case.retracted_at,
        )
    )
    # As `write_revision` writes them (json.dumps defaults for categories, no ASCII escaping for
    # actors, the texts folded by `search_text`).
    actors_json = json.dumps(
        [{"id": str(a.id), "name": a.name, "kind": a.kind, "role": role} for a, role in case.actors],
        ensure_ascii=False,
    )
    names = [a.name for a, _ in case.actors]
    for number, revision in enumerate(case.revisions, 1):
        revision_id += 1
        rows["published_revision"].append(
            (
                revision_id,
                public_id,
                reference,
                number,
                revision.title,
                revision.summary,
                revision.body,
                case.municipality.code,
                case.municipality.district,
                json.dumps(case.categories),
                case.incident_date,
                case.precision,
                actors_json,
                revision.published_at,
                revision.correction_note,
                # A retraction withdraws the body: the case is no longer found by its words.
                search_text(
                    revision.title,
                    revision.summary,
                    "" if case.retracted_at else revision.body,
                    names,
                    place_names(case.municipality.code),
                ),
                number == len(case.revisions),
            )
        )
        rows["published_actor"] += [(actor.id, revision_id) for actor, _ in case.actors]
    return revision_id, SeededCase(
        index=case.index,
        reference=reference,
        case_id=case.case_id,
        title=latest.title,
        summary=latest.summary,
        language=case.language,
        municipality=case.municipality.code,
        district=case.municipality.district,
        categories=tuple(case.categories),
        incident_date=case.incident_date,
        published_at=latest.published_at,
        revision=len(case.revisions),
        retracted=case.retracted_at is not None,
        actor_ids=tuple(a.id for a, _ in case.actors),
    )
