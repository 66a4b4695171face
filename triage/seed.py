"""Realistic demo leads and team members, deterministic for a given seed.

faker is slow per call, so each locale contributes a pool of names, companies, job titles
and phone numbers once; leads are combined from those pools with a seeded Random, which
seeds a million leads in seconds rather than minutes.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Iterator

from faker import Faker

from .checklist import FREE_MAIL_DOMAINS
from .models import Channel, Credit, Interest, Lead, LeadData, Role, Stage, TeamMember
from .scoring import score
from .services import new_lead

LOCALES = {
    "de_DE": ("DE", "AT", "CH"),
    "nl_NL": ("NL", "BE"),
    "en_GB": ("GB", "IE"),
}
SALUTATIONS = {"de_DE": ("Frau", "Herr"), "nl_NL": ("Mevrouw", "De heer"), "en_GB": ("Ms", "Mr")}
POOL_SIZE = 400
WEBMAIL = sorted(FREE_MAIL_DOMAINS)
CHANNEL_WEIGHTS = {
    Channel.WEB_FORM: 25, Channel.EMAIL: 10, Channel.EVENT: 10, Channel.PHONE: 6,
    Channel.REFERRAL: 6, Channel.PARTNER: 6, Channel.PAID_ADS: 10, Channel.ORGANIC_SEARCH: 12,
    Channel.SOCIAL: 7, Channel.PURCHASED_LIST: 5, Channel.OTHER: 3,
}
INTEREST_WEIGHTS = {Interest.INQUIRY: 60, Interest.QUOTE_REQUEST: 25, Interest.DEMO_REQUEST: 15}
CREDIT_WEIGHTS = {Credit.UNKNOWN: 60, Credit.A: 12, Credit.B: 14, Credit.C: 9, Credit.D: 5}
NOTES = (
    "", "", "", "", "Asked for pricing for 20 seats.", "Met us at the trade fair.",
    "Wants a call next week.", "Downloaded the whitepaper.", "Bewerbung als Werkstudent",
    "Interested in the partner programme.", "Budget planned for Q2.",
)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in "-.")


class _Pools:
    def __init__(self, seed: int) -> None:
        self.by_locale = {}
        for index, locale in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 31 + index)
            self.by_locale[locale] = {
                "female": [fake.first_name_female() for _ in range(POOL_SIZE)],
                "male": [fake.first_name_male() for _ in range(POOL_SIZE)],
                "last": [fake.last_name() for _ in range(POOL_SIZE)],
                "company": [fake.company() for _ in range(POOL_SIZE)],
                "job": [fake.job() for _ in range(POOL_SIZE // 4)],
                "phone": [fake.phone_number() for _ in range(POOL_SIZE)],
            }


def demo_lead_data(rng: random.Random, pools: _Pools) -> LeadData:
    locale = rng.choice(list(LOCALES))
    pool = pools.by_locale[locale]
    female = rng.random() < 0.5
    first = rng.choice(pool["female" if female else "male"])
    last = rng.choice(pool["last"])
    company = rng.choice(pool["company"])
    domain = _ascii(company.split(" ")[0].split(",")[0]) or "firma"
    country = rng.choice(LOCALES[locale])
    tld = {"DE": "de", "AT": "at", "CH": "ch", "NL": "nl", "BE": "be", "GB": "co.uk", "IE": "ie"}[country]
    webmail = rng.random() < 0.15
    email = f"{_ascii(first)}.{_ascii(last)}@" + (rng.choice(WEBMAIL) if webmail else f"{domain}.{tld}")
    incomplete = rng.random() < 0.2
    interest = rng.choices(list(INTEREST_WEIGHTS), weights=INTEREST_WEIGHTS.values())[0]
    hot = 2 if interest is Interest.DEMO_REQUEST else 1
    return LeadData(
        salutation="" if incomplete and rng.random() < 0.5 else SALUTATIONS[locale][0 if female else 1],
        first_name=first,
        last_name=last,
        email=email,
        phone="" if incomplete and rng.random() < 0.6 else rng.choice(pool["phone"]),
        job_title="" if incomplete and rng.random() < 0.6 else rng.choice(pool["job"]),
        company="" if webmail and rng.random() < 0.3 else company,
        country=country,
        channel=rng.choices(list(CHANNEL_WEIGHTS), weights=CHANNEL_WEIGHTS.values())[0],
        interest=interest,
        existing_customer=rng.random() < 0.12,
        creditworthiness=rng.choices(list(CREDIT_WEIGHTS), weights=CREDIT_WEIGHTS.values())[0],
        emails_opened=rng.randrange(0, 12 * hot),
        emails_clicked=rng.randrange(0, 4 * hot),
        pages_visited=rng.randrange(0, 5 * hot),
        forms_filled=rng.randrange(0, 2 + hot),
        notes=rng.choice(NOTES),
    )


def demo_leads(
    count: int, seed: int = 0, *, owners: list[str] | None = None, now: datetime | None = None
) -> Iterator[Lead]:
    """`count` MQLs handed over during the last ten days; round-robin over `owners` if given."""
    rng = random.Random(seed)
    pools = _Pools(seed)
    now = now or datetime.now(timezone.utc)
    for index in range(count):
        data = demo_lead_data(rng, pools)
        handed_over = now - timedelta(seconds=rng.randrange(10 * 24 * 3600))
        created = handed_over - timedelta(seconds=rng.randrange(30 * 24 * 3600))
        yield new_lead(
            data,
            stage=Stage.MQL,
            owner=owners[index % len(owners)] if owners else None,
            score=score(data),
            created_at=created,
            handed_over_at=handed_over,
            actor="marketing",
        )


def demo_team(count: int, seed: int = 0) -> list[TeamMember]:
    fake = Faker(list(LOCALES))
    fake.seed_instance(seed)
    members, logins = [], set()
    while len(members) < count:
        first, last = fake.first_name(), fake.last_name()
        login = _ascii(first)[:1] + _ascii(last)[:7]
        if not login or login in logins:
            continue
        logins.add(login)
        members.append(TeamMember(login=login, name=f"{first} {last}", role=Role.REP))
    return members
