"""A deterministic, realistic synthetic shop written as ERP files (plus the shop's own web data).

`dataset_generate(spec=..., out_dir=..., today=...)` writes, for one seed and one
`today`, byte-identical files:

- the six ERP files in load order: categories.csv, companies.csv, contacts.csv,
  products.csv, prices.csv, orders.csv (the formats of the specification's erp-import.md);
- two files with what the ERP does not carry: web_accounts.csv (date_joined and
  last_login per contact; empty last_login = never logged in) and web_carts.csv
  (open cart lines with their added_at).

The generator is pure (no database, no Django); the order lines are generated with
numpy in whole arrays. The distributions are described in docs/demo-data.md.
"""

import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from dateutil.easter import easter

from b2bshop.demo.flowers import TOP_CATEGORIES, Catalog, catalog_build
from b2bshop.demo.names import (
    CULTURE_BY_COUNTRY,
    FIRST_NAMES,
    FLOWER_WORDS,
    JOB_TITLES,
    LAST_NAMES,
    NAME_TEMPLATES,
)
from b2bshop.demo.places import COUNTRIES

ERP_ENTITIES: tuple[str, ...] = ("categories", "companies", "contacts", "products", "prices", "orders")
WEB_ACCOUNTS_FILE = "web_accounts.csv"
WEB_CARTS_FILE = "web_carts.csv"

HISTORY_DAYS = 730  # two years of orders, up to and including yesterday

DEMO_COMPANY_ERP_ID = "000001"
DEMO_BUYER_EMAIL = "buyer@demo.b2bshop.example"
DEMO_COMPANY_ADMIN_EMAIL = "companyadmin@demo.b2bshop.example"

# The custom ERP attributes of companies.csv (`attr.<name>`): name, label, value type, help text.
ATTRIBUTES: tuple[tuple[str, str, str, str], ...] = (
    ("loyalty_tier", "Loyalty tier", "text", "bronze, silver, gold or platinum; empty for prospects and some others"),
    ("greenhouse_m2", "Greenhouse area (m²)", "number", "Growers and garden centres"),
    ("has_cold_store", "Has a cold store", "boolean", "Florists, dealers, event decorators and supermarkets"),
    ("last_sales_visit", "Last sales visit", "date", "Day the account manager last visited"),
)

CHANNELS: tuple[str, ...] = ("web", "phone", "email", "sales_rep", "edi", "fax")
_OFFLINE = CHANNELS[1:]

CUSTOMER_TYPES: tuple[str, ...] = (
    "florist", "garden_centre", "supermarket", "event_decorator", "wholesale",
    "interior_landscaping", "hospitality", "grower",
)
_TYPE_SHARE = np.array([0.42, 0.14, 0.07, 0.10, 0.05, 0.08, 0.08, 0.06])
_TYPE_VOLUME = np.array([1.0, 2.2, 3.0, 0.9, 4.0, 1.2, 0.8, 1.5])  # order volume multiplier
_TYPE_EMPLOYEES = np.array([4, 30, 90, 6, 25, 12, 45, 15])  # median head count
_TYPE_SECTOR = ("G", "G", "G", "N", "G", "N", "I", "A")
_SECTOR_FREE_TEXT = ("Bloemendetailhandel", "Retail - flowers", "Horeca", "Eventbranche", "Groothandel")
# Share of each top category (flowers.TOP_CATEGORIES order) in a customer type's purchases.
_TYPE_AFFINITY = np.array(
    [
        [0.64, 0.16, 0.02, 0.03, 0.15],  # florist
        [0.10, 0.34, 0.34, 0.14, 0.08],  # garden centre
        [0.58, 0.32, 0.05, 0.03, 0.02],  # supermarket
        [0.72, 0.10, 0.00, 0.00, 0.18],  # event decorator
        [0.45, 0.30, 0.10, 0.08, 0.07],  # wholesale (dealers)
        [0.05, 0.75, 0.10, 0.00, 0.10],  # interior landscaping
        [0.62, 0.30, 0.03, 0.00, 0.05],  # hospitality
        [0.15, 0.20, 0.30, 0.25, 0.10],  # grower
    ]
)
assert _TYPE_AFFINITY.shape == (len(CUSTOMER_TYPES), len(TOP_CATEGORIES))

PRICE_GROUP_FACTORS: dict[str, float] = {"STANDARD": 1.0, "SILVER": 0.95, "GOLD": 0.90, "DEALER": 0.85}

_ROLES = ("buyer", "purchasing_manager", "decision_maker", "finance", "user", "admin")
_FIRST_CONTACT_ROLE_P = np.array([0.60, 0.25, 0.15, 0.0, 0.0, 0.0])
_OTHER_CONTACT_ROLE_P = np.array([0.35, 0.12, 0.12, 0.12, 0.22, 0.07])

# Hour-of-day weights (local time) per channel; 02:00-03:59 stays empty (no DST ambiguity).
_HOURS = np.arange(24)


def _hour_weights(ranges: dict[tuple[int, int], float]) -> np.ndarray:
    weights = np.zeros(24)
    for (first, last), weight in ranges.items():
        weights[first : last + 1] += weight
    return weights / weights.sum()


_CHANNEL_HOURS = np.vstack(
    [
        _hour_weights({(6, 22): 1.0, (7, 11): 1.5, (19, 22): 0.6}),  # web: mornings and evenings
        _hour_weights({(7, 16): 1.0, (8, 10): 1.5}),  # phone
        _hour_weights({(6, 20): 1.0, (8, 11): 1.0}),  # email
        _hour_weights({(8, 17): 1.0}),  # sales_rep
        _hour_weights({(4, 6): 1.0, (20, 23): 1.0}),  # edi: batch runs
        _hour_weights({(6, 12): 1.0}),  # fax
    ]
)


@dataclass(frozen=True)
class DatasetSpec:
    """How much to generate, and from which seed."""

    companies: int
    contacts: int
    order_lines: int
    seed: int = 42

    def __post_init__(self) -> None:
        if self.companies < 1 or self.contacts < 0 or self.order_lines < 0:
            raise ValueError("companies must be >= 1 and contacts/order lines >= 0")


SIZES: dict[str, DatasetSpec] = {
    "small": DatasetSpec(companies=200, contacts=1_000, order_lines=10_000),
    "large": DatasetSpec(companies=20_000, contacts=100_000, order_lines=1_000_000),
}


@dataclass(frozen=True)
class DatasetStats:
    categories: int
    products: int
    prices: int
    companies: int
    companies_without_orders: int
    contacts: int
    contacts_never_logged_in: int
    orders: int
    order_lines: int
    cancelled_orders: int
    open_orders: int
    carts: int
    cart_lines: int


@dataclass(frozen=True)
class DatasetFiles:
    """Where the generated files are; `erp_files` is in load order."""

    directory: Path
    erp_files: dict[str, Path]
    web_accounts: Path
    web_carts: Path
    stats: DatasetStats


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent stream per part, so changing one part leaves the others as they were."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(part.encode())]))


def _ascii_slug(text: str, *, separator: str = "-") -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = plain.replace("'", "").replace("&", " ")
    return re.sub(r"[^a-z0-9]+", separator, plain).strip(separator)


def _choice_index(rng: np.random.Generator, probabilities: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(len(probabilities), size=size, p=probabilities / probabilities.sum())


def _exact_count(share: float, total: int, *, minimum_from: int) -> int:
    """round(share x total), at least 1 once `total` reaches `minimum_from`."""
    count = int(round(share * total))
    return max(count, 1) if total >= minimum_from else count


# --- the calendar ------------------------------------------------------------------------------


def _second_sunday_of_may(year: int) -> date:
    first = date(year, 5, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def day_weights(days: list[date]) -> np.ndarray:
    """Relative order intake per day: weekly rhythm, growth, summer dip and the flower peaks."""
    weekday_factor = np.array([1.25, 1.15, 1.05, 1.1, 0.95, 0.3, 0.12])
    weights = np.empty(len(days))
    count = len(days)
    for index, day in enumerate(days):
        weight = weekday_factor[day.weekday()] * (1.0 + 0.25 * index / max(count - 1, 1))
        if day.month in (7, 8):
            weight *= 0.8
        valentine = date(day.year, 2, 14)
        if 0 < (valentine - day).days <= 14:
            weight *= 1.0 + 2.2 * (1 - (valentine - day).days / 15)
        mothers_day = _second_sunday_of_may(day.year)
        if 0 < (mothers_day - day).days <= 10:
            weight *= 2.0
        easter_sunday = easter(day.year)
        if 0 < (easter_sunday - day).days <= 10:
            weight *= 1.5
        if day.month == 10 and day.day >= 18:  # All Saints: chrysanthemums for 1 November
            weight *= 1.4
        if day.month == 12 and day.day <= 22:
            weight *= 1.9
        if (day.month, day.day) in ((12, 25), (12, 26), (1, 1), (4, 27)):
            weight *= 0.05
        weights[index] = weight
    return weights


# --- companies ---------------------------------------------------------------------------------


@dataclass
class _Companies:
    frame: pd.DataFrame  # the ERP columns
    weight: np.ndarray
    type_index: np.ndarray
    culture: list[str]
    language: list[str]
    domain: list[str]
    ordering: np.ndarray  # bool
    active_start: np.ndarray  # day index
    active_end: np.ndarray  # day index (inclusive)
    departure_mask: np.ndarray  # bool (n, 7)
    transit: np.ndarray
    price_factor: np.ndarray
    web_affinity: np.ndarray
    offline_p: np.ndarray  # (n, 5) probabilities over _OFFLINE
    blocked: np.ndarray


def _companies(spec: DatasetSpec, *, today: date, window_start: date) -> _Companies:
    rng = _rng(spec.seed, "companies")
    n = spec.companies
    country_share = np.array([c.share for c in COUNTRIES])
    country_index = _choice_index(rng, country_share, n)
    type_index = _choice_index(rng, _TYPE_SHARE, n)
    city_pick = rng.random(n)
    weight = np.minimum((rng.pareto(1.3, n) + 1.0) * _TYPE_VOLUME[type_index], 60.0)

    # The showcase company of the demo logins: a solid Dutch florist.
    if n:
        country_index[0] = 0
        type_index[0] = 0
        city_pick[0] = 2 / len(COUNTRIES[0].cities)  # Haarlem
        weight[0] = max(float(np.quantile(weight, 0.85)), 4.0)

    others = rng.permutation(np.arange(1, n))
    n_prospects = _exact_count(0.07, n, minimum_from=10)
    n_idle = max(_exact_count(0.15, n, minimum_from=5) - n_prospects, 0)
    n_blocked = _exact_count(0.03, n, minimum_from=10)
    prospects = others[:n_prospects]
    idle = others[n_prospects : n_prospects + n_idle]
    blocked_index = rng.permutation(np.arange(1, n))[:n_blocked]

    account_type = np.where(type_index == CUSTOMER_TYPES.index("wholesale"), "dealer", "customer").astype(object)
    account_type[prospects] = "prospect"
    ordering = np.ones(n, dtype=bool)
    ordering[prospects] = False
    ordering[idle] = False
    blocked = np.zeros(n, dtype=bool)
    blocked[blocked_index] = True

    # Lifecycle inside the two-year window: most were there from the start, some are new, some left.
    active_start = np.where(rng.random(n) < 0.22, rng.integers(0, HISTORY_DAYS - 30, n), 0)
    churn = (rng.random(n) < 0.12) | blocked
    churn_day = active_start + 30 + (rng.random(n) * (HISTORY_DAYS - 31 - active_start)).astype(np.int64)
    active_end = np.where(churn, np.minimum(churn_day, HISTORY_DAYS - 1), HISTORY_DAYS - 1)
    if n:
        active_start[0], active_end[0] = 0, HISTORY_DAYS - 1

    # Channels: affinity to the web shop, EDI for chains, a few faithful fax users.
    web_affinity = rng.beta(2.0, 2.0, n)
    edi_capable = (
        ((type_index == CUSTOMER_TYPES.index("supermarket")) & (rng.random(n) < 0.6))
        | ((type_index == CUSTOMER_TYPES.index("wholesale")) & (rng.random(n) < 0.4))
        | ((weight > 20) & (rng.random(n) < 0.1))
    )
    fax_user = rng.random(n) < np.where(type_index == 0, 0.06, 0.03)
    offline = np.tile(np.array([0.45, 0.30, 0.10, 0.0, 0.0]), (n, 1))
    offline[:, 2] += np.where(weight > 10, 0.25, 0.0)
    offline[:, 3] = np.where(edi_capable, 1.6, 0.0)
    offline[:, 4] = np.where(fax_user, 0.7, 0.0)
    offline_p = offline / offline.sum(axis=1, keepdims=True)
    web_affinity = np.where(edi_capable, web_affinity * 0.5, web_affinity)

    rows: list[dict[str, object]] = []
    cultures: list[str] = []
    languages: list[str] = []
    domains: list[str] = []
    used_names: dict[str, int] = {}
    used_bases: dict[str, bool] = {}
    used_domains: dict[str, int] = {}
    pick = rng.random((n, 8))
    departure_mask = np.zeros((n, 7), dtype=bool)
    transit = np.ones(n, dtype=np.int64)
    weight_rank = weight.argsort().argsort() / max(n - 1, 1)  # 0 = smallest, 1 = largest
    price_group = np.where(weight_rank > 0.9, "GOLD", np.where(weight_rank > 0.65, "SILVER", "STANDARD")).astype(object)
    price_group[account_type == "dealer"] = "DEALER"
    price_group[account_type == "prospect"] = ""
    if n:
        price_group[0] = "SILVER"
    employees = np.rint(
        rng.lognormal(np.log(_TYPE_EMPLOYEES[type_index] * np.clip(weight, 1, 50) ** 0.4), 0.6)
    ).astype(np.int64) + 1
    employees_missing = rng.random(n) < 0.2
    region_missing = rng.random(n) < 0.12
    sector_pick = rng.random(n)
    credit_limit = np.maximum(np.rint(weight * rng.uniform(800, 2200, n) / 500) * 500, 1000).clip(max=250_000)
    credit_missing = rng.random(n) < 0.04
    terms_pick = rng.random(n)
    attr_pick = rng.random((n, 4))
    greenhouse = np.rint(rng.lognormal(np.log(2500), 0.8, n) / 50) * 50
    visit_days = rng.integers(3, 400, n)

    for i in range(n):
        country = COUNTRIES[country_index[i]]
        city, region, language_override = country.cities[int(city_pick[i] * len(country.cities))]
        language = language_override or country.language
        culture = "fr" if language == "fr" else CULTURE_BY_COUNTRY[country.code]
        kind = CUSTOMER_TYPES[type_index[i]]
        templates = NAME_TEMPLATES[kind][culture]
        last_names = LAST_NAMES[culture]
        first_names = FIRST_NAMES[culture]
        words = FLOWER_WORDS[culture]
        draw = pick[i, :4]
        for _attempt in range(4):  # a name already taken gets a few other draws before a suffix
            template = templates[int(draw[0] * len(templates))]
            base = template.format(
                last=last_names[int(draw[1] * len(last_names))],
                first=first_names[int(draw[2] * len(first_names))],
                city=city,
                word=words[int(draw[3] * len(words))],
            )
            if culture == "fr":
                base = re.sub(r"\bde ([AEIOUÉÈH])", r"d'\1", base)
            if i == 0:
                base = "Bloemenhuis De Tulp"
            if base not in used_bases:
                break
            draw = rng.random(4)
        used_bases[base] = True
        legal = country.legal_forms[int(pick[i, 4] * len(country.legal_forms))]
        name = f"{base} {legal}".strip() if kind not in ("supermarket", "hospitality") else base
        seen = used_names.get(name, 0)
        used_names[name] = seen + 1
        if seen:
            name = f"{name} ({city})" if seen == 1 else f"{name} ({city} {seen})"
        domain = _ascii_slug(base) or "company"
        seen = used_domains.get(domain, 0)
        used_domains[domain] = seen + 1
        domain = f"{domain}.example" if not seen else f"{domain}-{seen + 1}.example"

        departures = country.departures
        pattern = departures[_choice_index(rng, np.array([w for _p, w in departures]), 1)[0]][0]
        if i == 0:
            pattern = "tue,fri"
        codes = pattern.split(",") if pattern else ["mon", "tue", "wed", "thu", "fri"]
        for code in codes:
            departure_mask[i, ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(code)] = True
        transit_options = country.transit
        transit[i] = transit_options[_choice_index(rng, np.array([w for _d, w in transit_options]), 1)[0]][0]

        is_prospect = account_type[i] == "prospect"
        if sector_pick[i] < 0.12:
            sector = ""
        elif sector_pick[i] < 0.17:
            sector = _SECTOR_FREE_TEXT[int(pick[i, 5] * len(_SECTOR_FREE_TEXT))]
        else:
            sector = _TYPE_SECTOR[type_index[i]]
        if kind == "supermarket":
            terms = "60"
        elif kind == "wholesale":
            terms = "45"
        else:
            terms = "14" if terms_pick[i] < 0.4 else "30"
        if is_prospect or terms_pick[i] > 0.95:
            terms = ""
        tier = ""
        if not is_prospect and attr_pick[i, 0] < 0.7:
            tier = "platinum" if weight_rank[i] > 0.95 else "gold" if weight_rank[i] > 0.8 else (
                "silver" if weight_rank[i] > 0.5 else "bronze")
        rows.append(
            {
                "erp_id": f"{i + 1:06d}",
                "name": name,
                "country": country.code,
                "region": "" if region_missing[i] and i else region,
                "city": city,
                "sector": sector,
                "employee_count": "" if employees_missing[i] and i else str(employees[i]),
                "customer_group": kind,
                "price_group": price_group[i],
                "credit_limit": "" if is_prospect or credit_missing[i] else f"{credit_limit[i]:.2f}",
                "payment_terms_days": terms,
                "customer_since": "",  # set once the orders are known
                "blocked": "true" if blocked[i] else "false",
                "account_type": account_type[i],
                "departure_weekdays": pattern,
                "transit_days": int(transit[i]),
                "attr.loyalty_tier": tier,
                "attr.greenhouse_m2": (
                    f"{greenhouse[i]:.0f}" if kind in ("grower", "garden_centre") and attr_pick[i, 1] < 0.8 else ""
                ),
                "attr.has_cold_store": (
                    ("yes" if attr_pick[i, 2] < 0.55 else "no")
                    if kind in ("florist", "wholesale", "event_decorator", "supermarket") else ""
                ),
                "attr.last_sales_visit": (
                    (today - timedelta(days=int(visit_days[i]))).isoformat()
                    if not is_prospect and (weight[i] > 5 or attr_pick[i, 3] < 0.2) else ""
                ),
            }
        )
        cultures.append(culture)
        languages.append(language)
        domains.append(domain)

    price_factor = np.array([PRICE_GROUP_FACTORS.get(group, 1.0) for group in price_group])
    return _Companies(
        frame=pd.DataFrame(rows),
        weight=weight,
        type_index=type_index,
        culture=cultures,
        language=languages,
        domain=domains,
        ordering=ordering,
        active_start=active_start,
        active_end=active_end,
        departure_mask=departure_mask,
        transit=transit,
        price_factor=price_factor,
        web_affinity=web_affinity,
        offline_p=offline_p,
        blocked=blocked,
    )


# --- contacts ----------------------------------------------------------------------------------


@dataclass
class _Contacts:
    frame: pd.DataFrame
    company: np.ndarray  # company index per contact
    first: np.ndarray  # index of each company's first contact (-1: none)
    count: np.ndarray  # contacts per company


def _contacts(spec: DatasetSpec, companies: _Companies) -> _Contacts:
    rng = _rng(spec.seed, "contacts")
    n, m = spec.companies, spec.contacts
    # A few companies have no web account at all; the others at least one, big ones more.
    without = rng.permutation(np.arange(1, n))[: _exact_count(0.04, n, minimum_from=25)]
    has = np.ones(n, dtype=bool)
    has[without] = False
    with_index = np.flatnonzero(has)
    if m < len(with_index):
        with_index = np.sort(rng.permutation(with_index)[:m]) if m else with_index[:0]
        if m and 0 not in with_index:
            with_index[0] = 0
    count = np.zeros(n, dtype=np.int64)
    count[with_index] = 1
    extra = m - len(with_index)
    if extra > 0:
        share = companies.weight[with_index] ** 0.6
        count[with_index] += rng.multinomial(extra, share / share.sum())
    if n and m >= 2 and count[0] < 2:  # the demo company has a buyer and a company admin
        donor = int(np.argmax(count))
        count[donor] -= 2 - count[0]
        count[0] = 2
    company = np.repeat(np.arange(n), count)
    first = np.full(n, -1, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    first[count > 0] = starts[count > 0]
    rank = np.arange(m) - starts[company]

    role_first = _choice_index(rng, _FIRST_CONTACT_ROLE_P, m)
    role_other = _choice_index(rng, _OTHER_CONTACT_ROLE_P, m)
    role_index = np.where(rank == 0, role_first, role_other)
    role_missing = rng.random(m) < 0.03
    consent = rng.random(m) < 0.6
    active = rng.random(m) >= 0.03
    english = rng.random(m) < 0.05
    pick = rng.random((m, 4))

    rows: list[dict[str, object]] = []
    used: dict[str, int] = {}
    for j in range(m):
        c = company[j]
        culture = companies.culture[c]
        firsts, lasts = FIRST_NAMES[culture], LAST_NAMES[culture]
        first_name = firsts[int(pick[j, 0] * len(firsts))]
        last_name = lasts[int(pick[j, 1] * len(lasts))]
        language = "en" if english[j] else companies.language[c]
        role = "" if role_missing[j] else _ROLES[role_index[j]]
        if c == 0 and rank[j] < 2:
            first_name, last_name = ("Sanne", "de Vries") if rank[j] == 0 else ("Pieter", "Bakker")
            email = DEMO_BUYER_EMAIL if rank[j] == 0 else DEMO_COMPANY_ADMIN_EMAIL
            role = "buyer" if rank[j] == 0 else "decision_maker"
            language = "en"
        else:
            local = f"{_ascii_slug(first_name, separator='')}.{_ascii_slug(last_name, separator='')}"
            base = f"{local}@{companies.domain[c]}"
            seen = used.get(base, 0)
            used[base] = seen + 1
            email = f"{local}{seen + 1}@{companies.domain[c]}" if seen else base
        titles = JOB_TITLES[role].get(language, ()) if role else ()
        job_title = titles[int(pick[j, 2] * len(titles))] if titles and pick[j, 3] < 0.75 else ""
        rows.append(
            {
                "email": email,
                "company_erp_id": f"{c + 1:06d}",
                "first_name": first_name,
                "last_name": last_name,
                "role": role,
                "language": language,
                "marketing_consent": "true" if consent[j] or (c == 0 and rank[j] < 2) else "false",
                "job_title": job_title,
                "is_active": "true" if active[j] or (c == 0 and rank[j] < 2) else "false",
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["email", "company_erp_id", "first_name", "last_name", "role", "language",
                 "marketing_consent", "job_title", "is_active"],
    )
    return _Contacts(frame=frame, company=company, first=first, count=count)


# --- orders ------------------------------------------------------------------------------------


@dataclass
class _Orders:
    lines: pd.DataFrame  # the ERP orders.csv rows
    company: np.ndarray  # per order
    contact: np.ndarray  # per order (-1: none)
    channel: np.ndarray  # per order, index into CHANNELS
    local_time: np.ndarray  # per order, datetime64[s] local wall time
    status: np.ndarray  # per order
    line_company: np.ndarray
    line_value: np.ndarray  # quantity x unit price, per line


def _orders(
    spec: DatasetSpec, *, companies: _Companies, contacts: _Contacts, catalog: Catalog, today: date,
    window_start: date,
) -> _Orders:
    rng = _rng(spec.seed, "orders")
    target = spec.order_lines
    ordering = np.flatnonzero(companies.ordering)
    if target == 0 or len(ordering) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Orders(
            lines=pd.DataFrame(columns=_ORDER_COLUMNS), company=empty, contact=empty, channel=empty,
            local_time=np.zeros(0, dtype="datetime64[s]"), status=np.zeros(0, dtype=object),
            line_company=empty, line_value=np.zeros(0),
        )
    weight = companies.weight
    median = float(np.median(weight[ordering]))
    relative = np.clip(weight / median, 0.2, 200.0)
    mean_lines = np.clip(1.0 + 5.0 * relative ** 0.25, 1.0, 40.0)
    order_share = weight[ordering] / weight[ordering].sum()
    expected = float((mean_lines[ordering] * order_share).sum())

    # Every ordering company orders at least once; the rest of the orders follow the weights.
    order_company = ordering.copy()
    while True:
        lines_per_order = 1 + rng.poisson(mean_lines[order_company] - 1.0)
        total = int(lines_per_order.sum())
        if total >= target:
            break
        more = int(np.ceil((target - total) / expected * 1.2)) + 8
        order_company = np.concatenate([order_company, rng.choice(ordering, size=more, p=order_share)])
    cumulative = np.cumsum(lines_per_order)
    n_orders = int(np.searchsorted(cumulative, target) + 1)
    order_company = order_company[:n_orders]
    lines_per_order = lines_per_order[:n_orders].copy()
    lines_per_order[-1] -= int(cumulative[n_orders - 1]) - target

    # Dates: seasonal intake, inside each company's active period.
    days = [window_start + timedelta(days=k) for k in range(HISTORY_DAYS)]
    cdf = np.cumsum(day_weights(days))
    cdf /= cdf[-1]
    low = np.where(companies.active_start > 0, cdf[np.maximum(companies.active_start - 1, 0)], 0.0)
    high = cdf[companies.active_end]
    u = low[order_company] + rng.random(n_orders) * (high[order_company] - low[order_company])
    day = np.clip(np.searchsorted(cdf, u, side="right"), companies.active_start[order_company],
                  companies.active_end[order_company])

    # Channels: the web share grows over the two years.
    progress = day / (HISTORY_DAYS - 1)
    web_p = np.clip(0.28 + 0.32 * progress + 0.6 * (companies.web_affinity[order_company] - 0.5), 0.03, 0.95)
    web_p = np.where(contacts.count[order_company] > 0, web_p, 0.0)
    offline_cdf = np.cumsum(companies.offline_p[order_company], axis=1)
    offline_pick = (rng.random(n_orders)[:, None] < offline_cdf).argmax(axis=1)
    channel = np.where(rng.random(n_orders) < web_p, 0, 1 + offline_pick)

    # Who placed it: web orders always have a contact, mostly the company's first (main) buyer.
    contact_needed = rng.random(n_orders) < np.array([1.0, 0.6, 0.85, 0.3, 0.0, 0.2])[channel]
    has_contact = contacts.count[order_company] > 0
    offset = np.floor(contacts.count[order_company] * rng.random(n_orders) ** 2.5).astype(np.int64)
    contact = np.where(contact_needed & has_contact, contacts.first[order_company] + offset, -1)

    # Time of day per channel.
    hour = np.empty(n_orders, dtype=np.int64)
    for index in range(len(CHANNELS)):
        chosen = np.flatnonzero(channel == index)
        hour[chosen] = rng.choice(24, size=len(chosen), p=_CHANNEL_HOURS[index])
    seconds = hour * 3600 + rng.integers(0, 3600, n_orders)
    day_start = np.datetime64(window_start, "s") + day.astype("timedelta64[D]")
    local_time = day_start + seconds.astype("timedelta64[s]")

    # Departure: the first departure weekday after the order day; delivery after the transit days.
    weekday0 = (np.datetime64(window_start, "D") + day.astype("timedelta64[D]")).astype(np.int64)
    weekday0 = (weekday0 + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    candidates = (weekday0[:, None] + np.arange(1, 8)[None, :]) % 7
    allowed = companies.departure_mask[order_company[:, None], candidates]
    departure_offset = 1 + allowed.argmax(axis=1)
    delivery_day = day + departure_offset + companies.transit[order_company]
    today_index = (today - window_start).days
    status = np.where(delivery_day >= today_index, "open", "shipped").astype(object)
    cancelled = rng.permutation(n_orders)[: _exact_count(0.03, n_orders, minimum_from=10)]
    status[cancelled] = "cancelled"
    if n_orders >= 10 and not (status == "open").any():
        latest = int(np.argmax(local_time))
        status[latest] = "open"
        delivery_day[latest] = max(int(delivery_day[latest]), today_index)
    if n_orders >= 12:  # every channel appears, also in tiny datasets
        for index in range(1, len(CHANNELS)):
            if not (channel == index).any():
                victim = int(rng.integers(1, n_orders)) if n_orders > 1 else 0
                channel[victim] = index
                if index == CHANNELS.index("edi"):
                    contact[victim] = -1

    # Order numbers follow the order time.
    chronological = np.lexsort((np.arange(n_orders), local_time))
    order_number = np.empty(n_orders, dtype=object)
    order_number[chronological] = [f"SO{1_000_001 + k}" for k in range(n_orders)]

    # Lines: products by season (delivery month), customer type and popularity.
    line_order = np.repeat(np.arange(n_orders), lines_per_order)
    n_lines = len(line_order)
    line_company = order_company[line_order]
    line_type = companies.type_index[line_company]
    delivery_month = (
        (np.datetime64(window_start, "D") + delivery_day.astype("timedelta64[D]")).astype("datetime64[M]").astype(
            np.int64) % 12
    )
    line_month = delivery_month[line_order]
    recent = (day[line_order] >= HISTORY_DAYS - 180).astype(np.int64)
    group = (line_month * len(CUSTOMER_TYPES) + line_type) * 2 + recent
    product = np.empty(n_lines, dtype=np.int64)
    group_p: dict[int, np.ndarray] = {}
    sorter = np.argsort(group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=12 * len(CUSTOMER_TYPES) * 2))])
    for key in range(len(bounds) - 1):
        members = sorter[bounds[key] : bounds[key + 1]]
        if not len(members):
            continue
        month, rest = divmod(key, len(CUSTOMER_TYPES) * 2)
        type_index, is_recent = divmod(rest, 2)
        probabilities = _product_probabilities(catalog, month=month, type_index=type_index,
                                               active_only=bool(is_recent))
        group_p[key] = probabilities
        product[members] = rng.choice(len(probabilities), size=len(members), p=probabilities)
    for _attempt in range(6):  # an order has each product once (as far as the season allows)
        duplicate = np.flatnonzero(pd.DataFrame({"o": line_order, "p": product}).duplicated().to_numpy())
        if not len(duplicate):
            break
        for key in np.unique(group[duplicate]):
            members = duplicate[group[duplicate] == key]
            product[members] = rng.choice(len(group_p[key]), size=len(members), p=group_p[key])

    size_factor = np.clip(relative[line_company] ** 0.25, 0.5, 5.0)
    quantity = catalog.moq[product] * (1 + rng.poisson(catalog.qty_lambda[product] * size_factor))
    inflation = 1.0 - 0.06 * (1.0 - progress[line_order])
    noise = np.clip(1.0 + 0.03 * rng.standard_normal(n_lines), 0.9, 1.1)
    cents = np.maximum(
        np.rint(catalog.list_price[product] * companies.price_factor[line_company] * inflation * noise * 100), 1
    ).astype(np.int64)

    line_no = np.arange(n_lines) - np.repeat(np.cumsum(lines_per_order) - lines_per_order, lines_per_order) + 1
    emails = np.append(contacts.frame["email"].to_numpy(dtype=object), "")  # index -1: no contact
    contact_email = emails[contact]
    erp_ids = companies.frame["erp_id"].to_numpy()
    ordered_at = np.datetime_as_string(local_time, unit="s")
    delivery = np.datetime_as_string(np.datetime64(window_start, "D") + delivery_day.astype("timedelta64[D]"), unit="D")
    skus = np.array([p["sku"] for p in catalog.products], dtype=object)
    channel_names = np.array(CHANNELS, dtype=object)

    frame = pd.DataFrame(
        {
            "order_number": order_number[line_order],
            "line_no": line_no,
            "company_erp_id": erp_ids[line_company],
            "contact_email": contact_email[line_order],
            "ordered_at": ordered_at[line_order],
            "channel": channel_names[channel][line_order],
            "status": status[line_order],
            "delivery_date": delivery[line_order],
            "sku": skus[product],
            "quantity": quantity,
            "unit_price": cents / 100,
        }
    )
    # Chronological file: all lines of an order together, in line order.
    line_sorter = np.lexsort((line_no, np.argsort(chronological)[line_order]))
    frame = frame.iloc[line_sorter].reset_index(drop=True)
    return _Orders(
        lines=frame,
        company=order_company,
        contact=contact,
        channel=channel,
        local_time=local_time,
        status=status,
        line_company=line_company[line_sorter],
        line_value=(quantity * cents)[line_sorter] / 100,
    )


_ORDER_COLUMNS = ["order_number", "line_no", "company_erp_id", "contact_email", "ordered_at", "channel", "status",
                  "delivery_date", "sku", "quantity", "unit_price"]


def _product_probabilities(catalog: Catalog, *, month: int, type_index: int, active_only: bool) -> np.ndarray:
    """P(product) for a customer type in a delivery month: the type's category mix x in-season demand."""
    demand = catalog.demand[:, month] * (catalog.active if active_only else 1.0)
    probabilities = np.zeros(len(demand))
    affinity = _TYPE_AFFINITY[type_index]
    for top in range(len(TOP_CATEGORIES)):
        members = catalog.top == top
        total = demand[members].sum()
        if total > 0 and affinity[top] > 0:
            probabilities[members] = affinity[top] * demand[members] / total
    if probabilities.sum() == 0:  # pragma: no cover - every month has cut flowers in season
        probabilities = demand
    return probabilities / probabilities.sum()


# --- prices ------------------------------------------------------------------------------------


def _prices(spec: DatasetSpec, *, companies: _Companies, catalog: Catalog, today: date) -> pd.DataFrame:
    rng = _rng(spec.seed, "prices")
    rows: list[dict[str, object]] = []
    for group in ("SILVER", "GOLD", "DEALER"):
        factor = PRICE_GROUP_FACTORS[group]
        for index, product in enumerate(catalog.products):
            if group != "DEALER" and (zlib.crc32(f"{group}/{product['sku']}".encode()) % 10) >= 6:
                continue
            rows.append(
                {
                    "price_group": group,
                    "company_erp_id": "",
                    "sku": product["sku"],
                    "price": f"{max(catalog.list_price[index] * factor, 0.01):.2f}",
                    "valid_from": "",
                    "valid_until": "",
                }
            )
    # Negotiated prices for the biggest customers; some only for a period, some expired.
    candidates = np.flatnonzero(companies.ordering & (companies.frame["account_type"].to_numpy() != "prospect"))
    count = min(len(candidates), max(3, int(round(0.02 * spec.companies))))
    biggest = candidates[np.argsort(-companies.weight[candidates], kind="stable")[:count]]
    popularity = catalog.demand.sum(axis=1) * catalog.active
    for company in biggest:
        n_products = int(rng.integers(5, 16))
        chosen = rng.choice(len(popularity), size=min(n_products, int((popularity > 0).sum())), replace=False,
                            p=popularity / popularity.sum())
        for index in chosen:
            kind = rng.random()
            valid_from = valid_until = ""
            if kind < 0.2:
                valid_from = (today - timedelta(days=int(rng.integers(300, 500)))).isoformat()
                valid_until = (today - timedelta(days=int(rng.integers(10, 200)))).isoformat()
            elif kind < 0.5:
                valid_from = (today - timedelta(days=int(rng.integers(1, 120)))).isoformat()
                valid_until = (today + timedelta(days=int(rng.integers(30, 300)))).isoformat()
            rows.append(
                {
                    "price_group": "",
                    "company_erp_id": f"{company + 1:06d}",
                    "sku": catalog.products[index]["sku"],
                    "price": f"{max(catalog.list_price[index] * rng.uniform(0.78, 0.9), 0.01):.2f}",
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                }
            )
    return pd.DataFrame(rows, columns=["price_group", "company_erp_id", "sku", "price", "valid_from", "valid_until"])


def _resolved_prices(
    prices: pd.DataFrame, *, company_erp_ids: np.ndarray, skus: np.ndarray, price_groups: np.ndarray,
    list_prices: np.ndarray, today: date,
) -> np.ndarray:
    """Company-specific > price group > list price, valid today (catalog pricing rules)."""
    day = today.isoformat()
    valid = ((prices["valid_from"] == "") | (prices["valid_from"] <= day)) & (
        (prices["valid_until"] == "") | (prices["valid_until"] >= day)
    )
    current = prices[valid]
    by_company = {
        (row.company_erp_id, row.sku): float(row.price)
        for row in current[current["company_erp_id"] != ""].itertuples(index=False)
    }
    by_group = {
        (row.price_group, row.sku): float(row.price)
        for row in current[current["price_group"] != ""].itertuples(index=False)
    }
    result = np.empty(len(skus))
    for k in range(len(skus)):
        key = (company_erp_ids[k], skus[k])
        if key in by_company:
            result[k] = by_company[key]
        else:
            result[k] = by_group.get((price_groups[k], skus[k]), list_prices[k])
    return result


# --- web accounts and carts ----------------------------------------------------------------------


def _web(
    spec: DatasetSpec, *, companies: _Companies, contacts: _Contacts, orders: _Orders, catalog: Catalog,
    prices: pd.DataFrame, today: date, time_zone: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = _rng(spec.seed, "web")
    m = spec.contacts
    zone = ZoneInfo(time_zone)
    # Reference instant: the start of `today` in the shop's zone; all activity lies before it.
    now = int(datetime.combine(today, time.min, tzinfo=zone).timestamp())
    day = 86_400

    web_orders = (orders.channel == 0) & (orders.contact >= 0)
    order_epoch = (
        _local_to_epoch(orders.local_time[web_orders], zone) if web_orders.any() else np.zeros(0, dtype=np.int64)
    )
    last_web = np.full(m, -1, dtype=np.int64)
    first_web = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
    np.maximum.at(last_web, orders.contact[web_orders], order_epoch)
    np.minimum.at(first_web, orders.contact[web_orders], order_epoch)
    has_web = last_web >= 0

    # Never logged in: about a quarter, all among contacts without web orders.
    without_web = np.flatnonzero(~has_web)
    demo = np.zeros(m, dtype=bool)
    if spec.companies and contacts.count[0] >= 2:
        demo[contacts.first[0] : contacts.first[0] + 2] = True
    eligible = without_web[~demo[without_web]]
    never = np.zeros(m, dtype=bool)
    never[rng.permutation(eligible)[: min(len(eligible), int(round(0.25 * m)))]] = True

    recent = now - (rng.exponential(40.0, m) * day).astype(np.int64) - rng.integers(60, day, m)
    recent = np.maximum(recent, now - HISTORY_DAYS * day)
    after_order = np.where(rng.random(m) < 0.5, recent, 0)
    last_login = np.where(has_web, np.maximum(last_web - rng.integers(300, 2400, m), after_order), recent)
    last_login = np.minimum(last_login, now - 60)

    # Carts: about a fifth of the contacts who log in; a third of those carts are abandoned (> 3 days).
    logged_in = np.flatnonzero(~never & (contacts.frame["is_active"].to_numpy() == "true"))
    cart_count = min(len(logged_in), int(round(0.2 * m)))
    # Buyers of big customers fill carts more often (they order more).
    cart_weight = 1.0 + 4.0 * (companies.weight[contacts.company[logged_in]] / max(companies.weight.max(), 1e-9)) ** 0.5
    cart_contacts = np.sort(
        rng.choice(logged_in, size=cart_count, replace=False, p=cart_weight / cart_weight.sum())
    ) if cart_count else np.zeros(0, dtype=logged_in.dtype)
    if demo.any() and contacts.first[0] not in cart_contacts and len(cart_contacts):
        cart_contacts[0] = contacts.first[0]
        cart_contacts = np.sort(cart_contacts)
    n_carts = len(cart_contacts)
    abandoned = rng.random(n_carts) < 0.35
    age = np.where(abandoned, rng.uniform(3.05, 45.0, n_carts), rng.uniform(0.01, 2.95, n_carts))
    per_cart = np.clip(1 + rng.poisson(2.5, n_carts), 1, 15)
    demo_cart = (cart_contacts == contacts.first[0]) if demo.any() else np.zeros(n_carts, dtype=bool)
    age[demo_cart] = 0.3
    last_added = now - (age * day).astype(np.int64)
    per_cart[demo_cart] = 4
    cart_of_line = np.repeat(np.arange(n_carts), per_cart)
    cart_company = contacts.company[cart_contacts]
    line_company = cart_company[cart_of_line]
    month = today.month - 1
    product = np.empty(len(cart_of_line), dtype=np.int64)
    for type_index in range(len(CUSTOMER_TYPES)):
        members = np.flatnonzero(companies.type_index[line_company] == type_index)
        probabilities = _product_probabilities(catalog, month=month, type_index=type_index, active_only=True)
        product[members] = rng.choice(len(probabilities), size=len(members), p=probabilities)
    lines = pd.DataFrame({"cart": cart_of_line, "product": product}).drop_duplicates().reset_index(drop=True)
    cart_of_line = lines["cart"].to_numpy()
    product = lines["product"].to_numpy()
    line_company = cart_company[cart_of_line]
    rank_from_last = lines.groupby("cart").cumcount(ascending=False).to_numpy()
    added_at = last_added[cart_of_line] - rank_from_last * rng.integers(120, 2 * day // 3, len(cart_of_line))
    quantity = catalog.moq[product] * (1 + rng.poisson(1.5, len(cart_of_line)))
    skus = np.array([p["sku"] for p in catalog.products], dtype=object)
    erp_ids = companies.frame["erp_id"].to_numpy()
    unit_price = _resolved_prices(
        prices,
        company_erp_ids=erp_ids[line_company],
        skus=skus[product],
        price_groups=companies.frame["price_group"].to_numpy()[line_company],
        list_prices=catalog.list_price[product],
        today=today,
    )
    # Adding to a cart needs a login.
    first_added = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_added, cart_contacts[cart_of_line], added_at)
    cart_last = np.full(m, -1, dtype=np.int64)
    cart_last[cart_contacts] = last_added
    last_login = np.where(cart_last >= 0, np.maximum(last_login, cart_last - rng.integers(60, 1800, m)), last_login)
    # Carts abandoned for more than two weeks: the buyer went quiet after filling them (the Sana example).
    went_quiet = np.zeros(m, dtype=bool)
    went_quiet[cart_contacts[abandoned & (age > 14)]] = True
    went_quiet &= ~demo
    quiet_login = np.maximum(cart_last - rng.integers(60, 1800, m), np.where(has_web, last_web + 60, 0))
    last_login = np.where(went_quiet, quiet_login, last_login)
    if demo.any():
        last_login[contacts.first[0]] = now - 3 * 3600
        last_login[contacts.first[0] + 1] = now - 5 * day + 10 * 3600

    earliest = np.minimum(np.minimum(first_web, last_login), first_added)
    joined = earliest - (rng.exponential(150.0, m) * day).astype(np.int64) - rng.integers(60, 3 * 3600, m)
    joined_never = now - rng.integers(day, HISTORY_DAYS * day, m)
    date_joined = np.where(never, joined_never, joined)
    date_joined = np.maximum(date_joined, int(datetime(2016, 1, 1, tzinfo=zone).timestamp()))
    date_joined = np.minimum(date_joined, earliest - 60)

    accounts = pd.DataFrame(
        {
            "email": contacts.frame["email"].to_numpy(),
            "date_joined": _iso_utc(date_joined),
            "last_login": np.where(never, "", _iso_utc(last_login)),
        }
    )
    emails = contacts.frame["email"].to_numpy()
    carts = pd.DataFrame(
        {
            "email": emails[cart_contacts[cart_of_line]],
            "sku": skus[product],
            "quantity": quantity,
            "unit_price": np.round(unit_price, 2),
            "added_at": _iso_utc(added_at),
        }
    )
    return accounts, carts


def _local_to_epoch(local_time: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Seconds since the epoch of wall-clock times in `zone` (the generator avoids DST gaps)."""
    instants = pd.Series(local_time).dt.tz_localize(zone).dt.tz_convert("UTC")
    return ((instants - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)


def _iso_utc(epoch_seconds: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(np.asarray(epoch_seconds, dtype="datetime64[s]"), unit="s")
    return np.char.add(text.astype(str), "Z").astype(object)


# --- the whole dataset ---------------------------------------------------------------------------


def _customer_since(
    spec: DatasetSpec, *, companies: _Companies, orders: _Orders, window_start: date,
) -> np.ndarray:
    rng = _rng(spec.seed, "customer_since")
    n = spec.companies
    first_order = np.full(n, np.datetime64("2100-01-01", "D"))
    if len(orders.company):
        np.minimum.at(first_order, orders.company, orders.local_time.astype("datetime64[D]"))
    ordered = first_order < np.datetime64("2100-01-01", "D")
    new_customer = companies.active_start > 0
    old = np.datetime64(window_start, "D") - rng.integers(0, 15 * 365, n).astype("timedelta64[D]")
    fresh = first_order - rng.integers(0, 40, n).astype("timedelta64[D]")
    since = np.where(ordered & new_customer, fresh, np.minimum(old, first_order))
    since_text = np.datetime_as_string(since, unit="D").astype(object)
    since_text[companies.frame["account_type"].to_numpy() == "prospect"] = ""
    return since_text


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.2f", encoding="utf-8")


def dataset_generate(
    *, spec: DatasetSpec, out_dir: Path, today: date, time_zone: str = "Europe/Amsterdam"
) -> DatasetFiles:
    """Generate the dataset for `spec` and write its files to `out_dir` (created if needed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    window_start = today - timedelta(days=HISTORY_DAYS)
    catalog = catalog_build(today=today)
    companies = _companies(spec, today=today, window_start=window_start)
    contacts = _contacts(spec, companies)
    orders = _orders(spec, companies=companies, contacts=contacts, catalog=catalog, today=today,
                     window_start=window_start)
    companies.frame["customer_since"] = _customer_since(spec, companies=companies, orders=orders,
                                                        window_start=window_start)
    prices = _prices(spec, companies=companies, catalog=catalog, today=today)
    accounts, carts = _web(spec, companies=companies, contacts=contacts, orders=orders, catalog=catalog,
                           prices=prices, today=today, time_zone=time_zone)

    frames = {
        "categories": pd.DataFrame(catalog.categories, columns=["slug", "name", "parent_slug"]),
        "companies": companies.frame,
        "contacts": contacts.frame,
        "products": pd.DataFrame(catalog.products),
        "prices": prices,
        "orders": orders.lines,
    }
    erp_files: dict[str, Path] = {}
    for entity in ERP_ENTITIES:
        path = out_dir / f"{entity}.csv"
        _write_csv(frames[entity], path)
        erp_files[entity] = path
    _write_csv(accounts, out_dir / WEB_ACCOUNTS_FILE)
    _write_csv(carts, out_dir / WEB_CARTS_FILE)

    ordering = np.zeros(spec.companies, dtype=bool)
    ordering[np.unique(orders.company)] = True
    stats = DatasetStats(
        categories=len(catalog.categories),
        products=len(catalog.products),
        prices=len(prices),
        companies=spec.companies,
        companies_without_orders=int((~ordering).sum()),
        contacts=spec.contacts,
        contacts_never_logged_in=int((accounts["last_login"] == "").sum()),
        orders=len(orders.company),
        order_lines=len(orders.lines),
        cancelled_orders=int((orders.status == "cancelled").sum()),
        open_orders=int((orders.status == "open").sum()),
        carts=int(carts["email"].nunique()),
        cart_lines=len(carts),
    )
    return DatasetFiles(
        directory=out_dir,
        erp_files=erp_files,
        web_accounts=out_dir / WEB_ACCOUNTS_FILE,
        web_carts=out_dir / WEB_CARTS_FILE,
        stats=stats,
    )
