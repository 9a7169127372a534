"""The traits of the ideal customer profile: what a company is (firmographics) and how it buys (behaviour).

statements.py turns every trait into a column of one per-company row and groups by each,
so the lift of every value of every trait is one SQL statement. Firmographic traits also
have a rule field: the look-alike rule uses only those, because prospects and companies
that never ordered have them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from segments.fields import ACCOUNT_TYPE_CHOICES, CHANNELS
from segments.sources import SIZE_BANDS

NO_VALUE = ""

# (band key, label, lowest, highest or None): orders in the 12 months of value.*.
FREQUENCY_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("none", "No orders", 0, 0),
    ("once", "Once", 1, 1),
    ("2-5", "2 to 5 orders", 2, 5),
    ("6-11", "6 to 11 orders", 6, 11),
    ("12-25", "Monthly (12 to 25)", 12, 25),
    ("26-51", "Fortnightly (26 to 51)", 26, 51),
    ("52+", "Weekly or more (52+)", 52, None),
)

# Different products bought in the same 12 months.
BREADTH_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("none", "Nothing bought", 0, 0),
    ("1-9", "1 to 9 products", 1, 9),
    ("10-24", "10 to 24 products", 10, 24),
    ("25-49", "25 to 49 products", 25, 49),
    ("50-99", "50 to 99 products", 50, 99),
    ("100+", "100 products or more", 100, None),
)


@dataclass(frozen=True)
class Trait:
    key: str
    label: str
    rule_field: str = ""  # the registry field a look-alike condition uses; empty: behaviour, not for look-alikes
    choices: tuple[tuple[str, str], ...] = ()  # value labels; other values are shown as they are

    def value_label(self, value: object) -> str:
        if value is None or value == NO_VALUE:
            return "(empty)"
        return dict(self.choices).get(str(value), str(value))


def _band_choices(bands: tuple[tuple[str, str, int, int | None], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((key, label) for key, label, _low, _high in bands)


SECTOR = Trait("sector", "Sector", "company.sector")
SIZE_BAND = Trait("size_band", "Company size", "company.size_band", tuple((k, label) for k, label, _l, _h in SIZE_BANDS))
COUNTRY = Trait("country", "Country", "company.country")
CUSTOMER_GROUP = Trait("customer_group", "Customer group", "company.customer_group")
ACCOUNT_TYPE = Trait("account_type", "Account type", choices=ACCOUNT_TYPE_CHOICES)
MAIN_CHANNEL = Trait("main_channel", "Main order channel", choices=CHANNELS)
BREADTH = Trait("breadth", "Assortment breadth (12 months)", choices=_band_choices(BREADTH_BANDS))
FREQUENCY = Trait("frequency", "Purchase frequency (12 months)", choices=_band_choices(FREQUENCY_BANDS))

STATIC_TRAITS: tuple[Trait, ...] = (SECTOR, SIZE_BAND, COUNTRY, CUSTOMER_GROUP, ACCOUNT_TYPE, MAIN_CHANNEL, BREADTH, FREQUENCY)
