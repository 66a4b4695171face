"""Realistic demo leads and team members, deterministic for a given seed.

faker is slow per call, so each country's faker locale contributes pools of names,
companies, job titles and phone numbers once; leads are combined from those pools with a
seeded `random.Random`. That seeds a million leads in well under a minute rather than
the better part of an hour, and the same seed always gives the same leads.

Only the hand-over and creation times depend on when the data is made: they are spread
over the days before `now` (pass `now` to fix them too).
"""

from __future__ import annotations

import multiprocessing
import random
from collections import deque
from functools import lru_cache, partial
from bisect import bisect
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any, Callable, Iterable, Iterator

from faker import Faker

from triage.domain.models import Channel, Credit, Interest, Lead, Role, ScorePart, Stage, TeamMember, to_millisecond
from triage.domain.rules import Rules
from triage.domain.scoring import Scorer
from triage.files.processes import can_fork


@dataclass(frozen=True)
class Country:
    code: str
    locale: str  # the faker locale its people and companies come from
    language: str  # de, nl or en: salutations, job titles, webmail providers
    tld: str
    weight: int  # share of the leads
    phone_pattern: str = ""  # a faker numerify pattern where the locale's own numbers are wrong


COUNTRIES = (
    Country("DE", "de_DE", "de", "de", 32),
    Country("AT", "de_AT", "de", "at", 7),
    Country("CH", "de_CH", "de", "ch", 7),
    Country("NL", "nl_NL", "nl", "nl", 20),
    Country("BE", "nl_BE", "nl", "be", 8),
    Country("GB", "en_GB", "en", "co.uk", 20),
    # en_IE phone numbers come out in US format
    Country("IE", "en_IE", "en", "ie", 6, phone_pattern="+353 %# ### ####"),
)

SALUTATIONS = {"de": ("Frau", "Herr"), "nl": ("Mevrouw", "De heer"), "en": ("Ms", "Mr")}

#: Titles of the people who ask a software vendor for a quote or demo; faker's general
#: jobs (nurse, geologist, ...) are mixed in for the odd lead that is no buyer at all.
BUYER_TITLES = {
    "de": (
        "Geschäftsführer", "Geschäftsführerin", "Leiter Einkauf", "Leiterin Einkauf", "IT-Leiter",
        "Vertriebsleiter", "Leiterin Marketing", "Head of Operations", "Prokurist", "Einkäufer",
        "Teamleiterin Kundenservice", "CFO", "Assistenz der Geschäftsführung", "Werkstudent",
    ),
    "nl": (
        "Directeur", "Algemeen directeur", "Inkoper", "Hoofd inkoop", "IT-manager",
        "Salesmanager", "Marketingmanager", "Operationeel manager", "Office manager",
        "Teamleider klantenservice", "Financieel directeur", "Stagiair",
    ),
    "en": (
        "Managing Director", "Head of Procurement", "Purchasing Manager", "IT Manager", "CTO",
        "Sales Director", "Marketing Manager", "Operations Manager", "Office Manager",
        "Finance Director", "Customer Service Team Lead", "Intern",
    ),
}

#: Private mail providers by language, each a free-mail domain of the default rules.
WEBMAIL = {
    "de": ("gmx.de", "web.de", "t-online.de", "gmail.com", "gmx.net", "gmx.at", "freenet.de",
           "posteo.de", "mail.de", "yahoo.de", "hotmail.de", "outlook.com"),
    "nl": ("ziggo.nl", "kpnmail.nl", "hetnet.nl", "planet.nl", "home.nl", "xs4all.nl", "gmail.com",
           "hotmail.com", "live.nl", "outlook.com"),
    "en": ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com", "icloud.com", "aol.com",
           "live.com", "me.com", "protonmail.com", "googlemail.com"),
}

NOTES = {
    "de": ("Bitte um Rückruf nächste Woche.", "Angebot für 20 Lizenzen gewünscht.",
           "Auf der Messe am Stand gewesen.", "Whitepaper heruntergeladen.",
           "Budget ist für Q3 eingeplant.", "Bewerbung als Werkstudent im Vertrieb"),
    "nl": ("Graag volgende week terugbellen.", "Wil een offerte voor 15 gebruikers.",
           "Op de beurs gesproken.", "Whitepaper gedownload.",
           "Contract bij concurrent loopt tot eind van het jaar.", "Sollicitatie voor een stage"),
    "en": ("Asked for pricing for 20 seats.", "Met us at the trade fair.",
           "Wants a call next week.", "Downloaded the whitepaper.",
           "Budget planned for next quarter.", "Job application: sales internship"),
}

CHANNEL_WEIGHTS = {
    Channel.WEB_FORM: 25, Channel.EMAIL: 10, Channel.EVENT: 10, Channel.PHONE: 6,
    Channel.REFERRAL: 6, Channel.PARTNER: 6, Channel.PAID_ADS: 10, Channel.ORGANIC_SEARCH: 12,
    Channel.SOCIAL: 7, Channel.PURCHASED_LIST: 5, Channel.OTHER: 3,
}
INTEREST_WEIGHTS = {Interest.INQUIRY: 60, Interest.QUOTE_REQUEST: 25, Interest.DEMO_REQUEST: 15}
CREDIT_WEIGHTS = {Credit.UNKNOWN: 60, Credit.A: 12, Credit.B: 14, Credit.C: 9, Credit.D: 5}

WEBMAIL_SHARE = 0.15
INCOMPLETE_SHARE = 0.2
EXISTING_CUSTOMER_SHARE = 0.12
NOTE_SHARE = 0.3
HANDED_OVER_WITHIN = timedelta(days=10)
CREATED_BEFORE_HAND_OVER = timedelta(days=30)

#: Words of a company name that make no domain: legal forms, "Royal", "and", ...
_NOT_IN_DOMAIN = frozenset(
    "gmbh ag kg kgaa co co. & e.v. e.g. ohg gbr mbh stiftung se ug bv nv vof commv cv "
    "stichting koninklijke royal groep en van de der den het and inc ltd llc plc group sons "
    "partner partners".split()
)
_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
POOL_SIZE = 600


def ascii_word(text: str) -> str:
    """`text` as a lower-case ASCII mail or domain word: "Müller-Lüdenscheidt" -> "mueller-luedenscheidt"."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE)).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == "-").strip("-")


def company_domain(company: str, tld: str) -> str:
    words = [ascii_word(word) for word in company.replace(",", " ").replace("-", " ").split()]
    words = [word for word in words if word and word not in _NOT_IN_DOMAIN]
    return "-".join(words[:2] or ["firma"]) + "." + tld


@dataclass(frozen=True)
class _Person:
    name: str
    mail: str  # the ASCII form for addresses


class _CountryPool:
    """What faker says about one country, asked once."""

    def __init__(self, country: Country, seed: int) -> None:
        fake = Faker(country.locale)
        fake.seed_instance(f"{seed}:{country.code}")
        self.country = country
        self.female = _people(fake.first_name_female() for _ in range(POOL_SIZE))
        self.male = _people(fake.first_name_male() for _ in range(POOL_SIZE))
        self.last = _people(fake.last_name() for _ in range(POOL_SIZE))
        companies = sorted({fake.company() for _ in range(POOL_SIZE)})
        self.companies = [(company, company_domain(company, country.tld)) for company in companies]
        pattern = country.phone_pattern
        self.phones = [fake.numerify(pattern) if pattern else fake.phone_number() for _ in range(POOL_SIZE)]
        self.jobs = list(BUYER_TITLES[country.language]) * 3 + [fake.job() for _ in range(12)]
        self.salutations = SALUTATIONS[country.language]
        self.webmail = WEBMAIL[country.language]
        self.notes = NOTES[country.language]


def _people(names: Iterable[str]) -> list[_Person]:
    return [_Person(name, ascii_word(name.replace(" ", ""))) for name in names]


def _cumulative(weights: Iterable[int]) -> list[float]:
    values = list(accumulate(weights))
    return [value / values[-1] for value in values]


def _pick(items: list, cumulative: list[float], r: float):
    return items[min(bisect(cumulative, r), len(items) - 1)]


def _email(rng: random.Random, first: _Person, last: _Person, domain: str, private: bool) -> str:
    style = rng.random()
    if style < 0.55:
        local = f"{first.mail}.{last.mail}"
    elif style < 0.75:
        local = f"{first.mail[:1]}.{last.mail}"
    elif style < 0.9:
        local = f"{first.mail}{last.mail}"
    else:
        local = first.mail
    if private and rng.random() < 0.5:
        local += str(rng.randrange(60, 100) if rng.random() < 0.6 else rng.randrange(1, 1000))
    return f"{local or 'info'}@{domain}"


def _chunk(number: int, count: int, seed: int, owners: list[str] | None, now: datetime,
           rules: Rules | None) -> list[dict[str, Any]]:
    """The `number`th chunk of `demo_rows`: `count` leads from a random generator of its own
    (the first chunk's is the seed's), so that chunks can be made apart and in any order."""
    scorer = Scorer.of(rules)
    rng = random.Random(seed) if number == 0 else random.Random(f"{seed}:{number}")
    random_ = rng.random
    pools = _pools(seed)
    first = number * CHUNK
    found = []
    country_bounds = _cumulative(country.weight for country in COUNTRIES)
    channels, channel_bounds = list(CHANNEL_WEIGHTS), _cumulative(CHANNEL_WEIGHTS.values())
    interests, interest_bounds = list(INTEREST_WEIGHTS), _cumulative(INTEREST_WEIGHTS.values())
    credits, credit_bounds = list(CREDIT_WEIGHTS), _cumulative(CREDIT_WEIGHTS.values())
    within = int(HANDED_OVER_WITHIN.total_seconds() * 1000)
    before = int(CREATED_BEFORE_HAND_OVER.total_seconds() * 1000)

    for index in range(first, first + count):
        pool = _pick(pools, country_bounds, random_())
        female = random_() < 0.5
        firsts = pool.female if female else pool.male
        first = firsts[int(random_() * len(firsts))]
        last = pool.last[int(random_() * len(pool.last))]
        company, domain = pool.companies[int(random_() * len(pool.companies))]
        private = random_() < WEBMAIL_SHARE
        if private:
            domain = pool.webmail[int(random_() * len(pool.webmail))]
            if random_() < 0.3:
                company = ""  # a private address, and no company given either
        incomplete = random_() < INCOMPLETE_SHARE
        interest = _pick(interests, interest_bounds, random_())
        hot = 2 if interest is Interest.DEMO_REQUEST else 1
        handed_over = now - timedelta(milliseconds=int(random_() * within))
        created = handed_over - timedelta(milliseconds=int(random_() * before))
        lead = dict(
            salutation="" if incomplete and random_() < 0.5 else pool.salutations[not female],
            first_name=first.name,
            last_name=last.name,
            email=_email(rng, first, last, domain, private),
            phone="" if incomplete and random_() < 0.6 else pool.phones[int(random_() * len(pool.phones))],
            job_title="" if incomplete and random_() < 0.6 else pool.jobs[int(random_() * len(pool.jobs))],
            company=company,
            country=pool.country.code,
            channel=_pick(channels, channel_bounds, random_()),
            interest=interest,
            existing_customer=random_() < EXISTING_CUSTOMER_SHARE,
            creditworthiness=_pick(credits, credit_bounds, random_()),
            emails_opened=int(random_() * 12 * hot),
            emails_clicked=int(random_() * 4 * hot),
            pages_visited=int(random_() * 5 * hot),
            forms_filled=int(random_() * (2 + hot)),
            notes=pool.notes[int(random_() * len(pool.notes))] if random_() < NOTE_SHARE else "",
            stage=Stage.MQL,
            owner=owners[index % len(owners)] if owners else None,
            created_at=created,
            handed_over_at=handed_over,
            updated_at=created,
            updated_by="marketing",
        )
        lead["score"], lead["score_breakdown"] = scorer.score(lead)
        lead["rules_version"] = scorer.stamp
        found.append(lead)
    return found


def _naive(now: datetime | None) -> datetime:
    """Naive UTC to the millisecond, as a lead keeps its times: made once, not per lead."""
    return to_millisecond((now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None))


def demo_rows(count: int, seed: int = 0, *, owners: list[str] | None = None, now: datetime | None = None,
              rules: Rules | None = None) -> Iterator[dict[str, Any]]:
    """`count` MQLs, handed over to sales during the ten days before `now`, scored by
    `rules` (the default rules unless given), as the plain values of their fields, as
    `LeadRepository.add_lead_rows` takes them: no model per lead, for a million of them.

    Without `owners` they wait in the unassigned pool; with them they are dealt out
    round-robin.
    """
    now = _naive(now)
    for number in range(0, (count + CHUNK - 1) // CHUNK):
        yield from _chunk(number, min(CHUNK, count - number * CHUNK), seed, owners, now, rules)


def _prepared(number: int, count: int, seed: int, owners: list[str] | None, now: datetime, rules: Rules | None,
              prepare: Callable[[list[dict[str, Any]]], list[Any]]) -> list[Any]:
    return prepare(_chunk(number, min(CHUNK, count - number * CHUNK), seed, owners, now, rules))


def demo_row_chunks(count: int, seed: int = 0, *, prepare: Callable[[list[dict[str, Any]]], list[Any]],
                    owners: list[str] | None = None, now: datetime | None = None, rules: Rules | None = None,
                    processes: int = 2) -> Iterator[list[Any]]:
    """`demo_rows`'s leads a chunk at a time, in order, each as `prepare` makes it (for the
    store: its rows as the database takes them). With several chunks and a process that
    may fork, `processes` other processes make them while this one stores the chunks
    before; at most a few chunks wait, whatever the store's speed."""
    now = _naive(now)
    chunks = (count + CHUNK - 1) // CHUNK
    make = partial(_prepared, count=count, seed=seed, owners=owners, now=now, rules=rules, prepare=prepare)
    if chunks < 2 or processes < 1 or not can_fork():
        for number in range(chunks):
            yield make(number)
        return
    _pools(seed)  # asked of faker once, here: the forked processes have them
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        waiting = deque(pool.apply_async(make, (number,)) for number in range(min(chunks, processes + 1)))
        following = len(waiting)
        while waiting:
            done = waiting.popleft().get()
            if following < chunks:
                waiting.append(pool.apply_async(make, (following,)))
                following += 1
            yield done


#: Leads per chunk of `demo_rows`, each from its own random generator.
CHUNK = 20_000


@lru_cache(maxsize=4)
def _pools(seed: int) -> list[_CountryPool]:
    return [_CountryPool(country, seed) for country in COUNTRIES]



def demo_leads(count: int, seed: int = 0, *, owners: list[str] | None = None, now: datetime | None = None,
               rules: Rules | None = None) -> Iterator[Lead]:
    """`demo_rows` as `Lead`s (id 0: the store numbers them)."""
    for row in demo_rows(count, seed, owners=owners, now=now, rules=rules):
        parts = [ScorePart(reason=reason, points=points) for reason, points in row["score_breakdown"]]
        yield Lead(**{**row, "score_breakdown": parts}, id=0)



#: How much of a full queue each rep takes: most full time, some part time.
CAPACITIES = (1.0, 1.0, 1.0, 0.8, 0.5)


def demo_team(count: int, seed: int = 0, *, exclude: Iterable[str] = ()) -> list[TeamMember]:
    """`count` reps from the same countries as the leads; no login in `exclude`.

    A login is the first letter of the first name and up to seven of the last name
    ("amueller"), numbered when taken ("amueller2").
    """
    rng = random.Random(f"team:{seed}")
    pools = _pools(seed)
    taken = set(exclude)
    members: list[TeamMember] = []
    while len(members) < count:
        pool = rng.choice(pools)
        first = rng.choice(pool.female if rng.random() < 0.5 else pool.male)
        last = rng.choice(pool.last)
        stem = (first.mail[:1] + last.mail.replace("-", "")[:7]) or "rep"
        login, number = stem, 1
        while login in taken:
            number += 1
            login = f"{stem}{number}"
        taken.add(login)
        members.append(
            TeamMember(login=login, name=f"{first.name} {last.name}", role=Role.REP, capacity=rng.choice(CAPACITIES))
        )
    return members
