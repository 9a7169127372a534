"""The delivery calendar: the delivery moments a company can choose and the products that fit a moment.

Pure functions over plain inputs (frozen dataclasses, dates, aware datetimes). The
database is read by `orders/selectors.py`, which builds the inputs. Every date here is
a local calendar day in SHOP_TIME_ZONE; every instant is an aware datetime. The rules
are those of spec/delivery.md, the decisions are in docs/delivery.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.db.models import Q

from b2bshop.exceptions import ApplicationError
from b2bshop.weekdays import WEEKDAY_CODES, weekday_numbers
from segments.windows import local_today as shop_local_today
from segments.windows import shop_zone

DEFAULT_CUT_OFF = datetime.time(14, 0)
DEFAULT_HORIZON_DAYS = 28
DEFAULT_TRANSIT_DAYS = 1
DEFAULT_WORKING_WEEKDAYS = frozenset(range(5))  # Monday to Friday
BLOCK_DAYS = 2  # the delivery block: from the delivery date's 00:00 to 00:00 two days later

_ONE_DAY = datetime.timedelta(days=1)


# --- Errors -------------------------------------------------------------------------------------------------


class NoDeliveryMomentError(ApplicationError):
    """No delivery moment exists in the horizon; the message says why, in the buyer's language."""


class DeliveryMomentClosedError(ApplicationError):
    """The chosen moment can no longer be ordered for (cut-off passed, day closed); carries the next one."""

    def __init__(self, message: str, *, next_moment: DeliveryMoment | None) -> None:
        super().__init__(message)
        self.next_moment = next_moment


# --- Inputs ---------------------------------------------------------------------------------------------------


def _weekday_set(value: Iterable[int], *, name: str) -> frozenset[int]:
    numbers = frozenset(value)
    if any(not 0 <= number <= 6 for number in numbers):
        raise ValueError(f"{name} holds Python weekday numbers 0 (Monday) to 6 (Sunday), got {sorted(numbers)}")
    return numbers


@dataclass(frozen=True)
class ShopCalendarRules:
    """The shop calendar as plain values (`selectors.shop_calendar_rules` loads it).

    `cut_offs` holds (weekday, local time) overrides; a weekday without one uses 14:00.
    `recurring_closed` holds (month, day) pairs closed every year.
    """

    working_weekdays: frozenset[int] = DEFAULT_WORKING_WEEKDAYS
    closed_dates: frozenset[datetime.date] = frozenset()
    recurring_closed: frozenset[tuple[int, int]] = frozenset()
    cut_offs: tuple[tuple[int, datetime.time], ...] = ()
    horizon_days: int = DEFAULT_HORIZON_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "working_weekdays", _weekday_set(self.working_weekdays, name="working_weekdays"))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "recurring_closed", frozenset(self.recurring_closed))
        pairs = self.cut_offs.items() if isinstance(self.cut_offs, Mapping) else self.cut_offs
        cut_offs = tuple(sorted((int(weekday), time) for weekday, time in pairs))
        weekdays = [weekday for weekday, _ in cut_offs]
        _weekday_set(weekdays, name="cut_offs")
        if len(set(weekdays)) != len(weekdays):
            raise ValueError("cut_offs holds one time per weekday")
        object.__setattr__(self, "cut_offs", cut_offs)
        if self.horizon_days < 0:
            raise ValueError("horizon_days must not be negative")

    def is_closed(self, day: datetime.date) -> bool:
        return day in self.closed_dates or (day.month, day.day) in self.recurring_closed

    def is_working_day(self, day: datetime.date) -> bool:
        """A working weekday that is not a closed day: a possible departure, a day that counts for lead time."""
        return day.weekday() in self.working_weekdays and not self.is_closed(day)

    def cut_off_time(self, weekday: int) -> datetime.time:
        return dict(self.cut_offs).get(weekday, DEFAULT_CUT_OFF)

    def cut_off_instant(self, departure_date: datetime.date) -> datetime.datetime:
        """The instant orders for this departure close: its weekday's cut-off, local time on the departure date."""
        return local_instant(departure_date, self.cut_off_time(departure_date.weekday()))

    def working_days_after(self, today: datetime.date, until: datetime.date) -> int:
        """Working days d with today < d <= until (the notice a departure on `until` gives)."""
        count = 0
        day = today + _ONE_DAY
        while day <= until:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count


@dataclass(frozen=True)
class CompanyDeliveryProfile:
    """A company's departure weekdays (empty: every shop working day) and transit days."""

    departure_weekdays: frozenset[int] = frozenset()
    transit_days: int = DEFAULT_TRANSIT_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "departure_weekdays", _weekday_set(self.departure_weekdays, name="departure_weekdays")
        )
        if self.transit_days < 0:
            raise ValueError("transit_days must not be negative")

    @classmethod
    def from_canonical(cls, *, departure_weekdays: str, transit_days: int) -> CompanyDeliveryProfile:
        """From the stored form: a canonical weekday string ('mon,wed,fri', '' = every working day)."""
        return cls(departure_weekdays=weekday_numbers(departure_weekdays), transit_days=transit_days)


GENERIC_PROFILE = CompanyDeliveryProfile()
"""Anonymous visitors and contacts without a company: every shop working day, transit 1."""


class ProductDeliveryFields(Protocol):
    """What availability needs of a product; `catalog.Product` and `ProductFields` both fit."""

    is_active: bool
    available_from: datetime.date | None
    available_until: datetime.date | None
    available_weekdays: str
    lead_time_days: int


@dataclass(frozen=True)
class ProductFields:
    """A product's delivery fields as plain values (for callers without a model instance)."""

    is_active: bool = True
    available_from: datetime.date | None = None
    available_until: datetime.date | None = None
    available_weekdays: str = ""
    lead_time_days: int = 0


# --- Results --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class DeliveryMoment:
    """A departure and the delivery it gives; buyers see the delivery date and its 48-hour block."""

    departure_date: datetime.date
    delivery_date: datetime.date

    def block_instants(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Start (inclusive) and end (exclusive) of the block: local 00:00 of the delivery date and two days later.

        The end is local midnight, so across a clock change the block lasts 47 or 49 hours.
        """
        return (
            local_instant(self.delivery_date, datetime.time.min),
            local_instant(self.delivery_date + BLOCK_DAYS * _ONE_DAY, datetime.time.min),
        )

    def block_label(self, *, language: str) -> str:
        """'between Tue 1 Dec 00:00 and Thu 3 Dec 00:00' in the buyer's language."""
        start, end = self.delivery_date, self.delivery_date + BLOCK_DAYS * _ONE_DAY
        return _texts(language)["block"].format(
            start=format_delivery_date(start, language=language, sentence_start=False),
            end=format_delivery_date(end, language=language, sentence_start=False),
        )


class Unavailable(StrEnum):
    """Why a product cannot be ordered for a moment (checked in this order; the first failing one is given)."""

    INACTIVE = "inactive"
    ENDED = "no_longer_available"
    NOT_YET = "not_yet_available"
    WEEKDAY = "weekday"
    LEAD_TIME = "lead_time"


@dataclass(frozen=True)
class Availability:
    """Whether a product fits a moment, the buyer-facing reason if not, and the earliest moment it fits.

    `first_moment` is the earliest of the given moments (by default the profile's moments in
    the horizon) for which the product is orderable; None if there is none.
    """

    orderable: bool
    reason: str | None
    first_moment: DeliveryMoment | None
    code: Unavailable | None = None


# --- Time ---------------------------------------------------------------------------------------------------------


def _require_aware(now: datetime.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")


def local_today(now: datetime.datetime) -> datetime.date:
    """The local calendar day (SHOP_TIME_ZONE) of an instant."""
    _require_aware(now)
    return shop_local_today(now)


def local_instant(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The first instant at which the local clock on `day` reads `time` or later (in SHOP_TIME_ZONE).

    An ambiguous time (the repeated hour when clocks go back) is its first reading. A time
    skipped when clocks go forward falls at the jump itself: the clock passes it then.
    """
    zone = shop_zone()
    local = datetime.datetime.combine(day, time.replace(fold=0), tzinfo=zone)  # fold=0: the earlier reading
    after_jump = local.astimezone(datetime.UTC)
    if after_jump.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return after_jump.astimezone(zone)
    # In a gap. fold=1 reads the time with the offset after the change: an instant before the jump.
    # The jump is the first whole second with the later offset (zone transitions are whole seconds).
    low = int(local.replace(fold=1).astimezone(datetime.UTC).timestamp())
    high = int(after_jump.timestamp())
    offset_after = after_jump.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return datetime.datetime.fromtimestamp(high, zone)


def _before(now: datetime.datetime, instant: datetime.datetime) -> bool:
    # Compare in UTC: aware datetimes sharing a tzinfo compare by wall clock, which is wrong in the repeated hour.
    return now.astimezone(datetime.UTC) < instant.astimezone(datetime.UTC)


# --- Delivery moments ---------------------------------------------------------------------------------------


def is_departure_day(*, calendar: ShopCalendarRules, profile: CompanyDeliveryProfile, day: datetime.date) -> bool:
    """A shop working day, not closed, and one of the company's departure weekdays (empty: any)."""
    if not calendar.is_working_day(day):
        return False
    return not profile.departure_weekdays or day.weekday() in profile.departure_weekdays


def delivery_moments(
    *,
    calendar: ShopCalendarRules,
    profile: CompanyDeliveryProfile,
    now: datetime.datetime,
    horizon_days: int | None = None,
) -> list[DeliveryMoment]:
    """Every moment the company can choose at `now`, earliest first (spec/delivery.md steps 1-5).

    Departures run from today to today + horizon (both included). Today's departure
    counts only while `now` is before its cut-off. A moment whose delivery date is closed
    is dropped, not moved. An empty list means no moment in the horizon.
    """
    today = local_today(now)
    horizon = calendar.horizon_days if horizon_days is None else horizon_days
    moments: list[DeliveryMoment] = []
    for offset in range(horizon + 1):
        departure = today + offset * _ONE_DAY
        if not is_departure_day(calendar=calendar, profile=profile, day=departure):
            continue
        if departure == today and not _before(now, calendar.cut_off_instant(departure)):
            continue
        delivery = departure + profile.transit_days * _ONE_DAY
        if calendar.is_closed(delivery):
            continue
        moments.append(DeliveryMoment(departure_date=departure, delivery_date=delivery))
    return moments


def no_delivery_moment_message(
    *, calendar: ShopCalendarRules, profile: CompanyDeliveryProfile, horizon_days: int | None = None, language: str
) -> str:
    """Why a company has no moment: its departure weekdays are no shop working days, or nothing fits the horizon."""
    texts = _texts(language)
    horizon = calendar.horizon_days if horizon_days is None else horizon_days
    if profile.departure_weekdays and not profile.departure_weekdays & calendar.working_weekdays:
        names = ", ".join(texts["weekday_names"][weekday] for weekday in sorted(profile.departure_weekdays))
        return texts["no_working_departure_day"].format(weekdays=names)
    return texts["no_moment"].format(days=horizon)


def next_delivery_moment(
    *,
    calendar: ShopCalendarRules,
    profile: CompanyDeliveryProfile,
    now: datetime.datetime,
    horizon_days: int | None = None,
    language: str = "en",
) -> DeliveryMoment:
    """The default moment: the first one. Raises NoDeliveryMomentError (with the reason) when there is none."""
    moments = delivery_moments(calendar=calendar, profile=profile, now=now, horizon_days=horizon_days)
    if not moments:
        raise NoDeliveryMomentError(
            no_delivery_moment_message(calendar=calendar, profile=profile, horizon_days=horizon_days, language=language)
        )
    return moments[0]


def delivery_moment_check(
    *,
    moment: DeliveryMoment,
    calendar: ShopCalendarRules,
    profile: CompanyDeliveryProfile,
    now: datetime.datetime,
    language: str = "en",
) -> None:
    """Raise DeliveryMomentClosedError (with the next moment) unless `moment` can still be chosen at `now`."""
    moments = delivery_moments(calendar=calendar, profile=profile, now=now)
    if moment in moments:
        return
    texts = _texts(language)
    chosen = format_delivery_date(moment.delivery_date, language=language, sentence_start=False)
    if moments:
        upcoming = format_delivery_date(moments[0].delivery_date, language=language, sentence_start=False)
        message = texts["moment_closed"].format(date=chosen, next=upcoming)
    else:
        message = texts["moment_closed_no_next"].format(date=chosen)
    raise DeliveryMomentClosedError(message, next_moment=moments[0] if moments else None)


# --- Product availability -------------------------------------------------------------------------------------


def _unavailable(
    product: ProductDeliveryFields, *, moment: DeliveryMoment, calendar: ShopCalendarRules, today: datetime.date
) -> Unavailable | None:
    delivery = moment.delivery_date
    if not product.is_active:
        return Unavailable.INACTIVE
    if product.available_until is not None and delivery > product.available_until:
        return Unavailable.ENDED
    if product.available_from is not None and delivery < product.available_from:
        return Unavailable.NOT_YET
    weekdays = weekday_numbers(product.available_weekdays)
    if weekdays and delivery.weekday() not in weekdays:
        return Unavailable.WEEKDAY
    if product.lead_time_days > calendar.working_days_after(today, moment.departure_date):
        return Unavailable.LEAD_TIME
    return None


def _reason_text(
    code: Unavailable, product: ProductDeliveryFields, *, moment: DeliveryMoment, today: datetime.date, language: str
) -> str:
    texts = _texts(language)

    def day_text(day: datetime.date) -> str:
        return format_delivery_date(day, language=language, with_year=day.year != today.year, sentence_start=False)

    if code is Unavailable.INACTIVE:
        return texts["inactive"]
    if code is Unavailable.ENDED:
        assert product.available_until is not None
        return texts["ended"].format(date=day_text(product.available_until))
    if code is Unavailable.NOT_YET:
        assert product.available_from is not None
        return texts["not_yet"].format(date=day_text(product.available_from))
    if code is Unavailable.WEEKDAY:
        return texts["weekday"].format(weekday=texts["weekday_plurals"][moment.delivery_date.weekday()])
    days = product.lead_time_days
    return texts["lead_time_one" if days == 1 else "lead_time"].format(days=days)


def product_availability(
    *,
    product_fields: ProductDeliveryFields,
    moment: DeliveryMoment,
    calendar: ShopCalendarRules,
    today: datetime.date,
    now: datetime.datetime,
    moments: Sequence[DeliveryMoment] | None = None,
    profile: CompanyDeliveryProfile | None = None,
    language: str = "en",
) -> Availability:
    """Whether the product can be ordered for `moment`, why not, and the first moment it can.

    Orderable: active; available_from <= delivery date <= available_until (open ends);
    the delivery weekday in available_weekdays (if set); lead_time_days at most the
    working days after today up to and including the departure. Segment restrictions are
    not checked here (personalization). `moments` are searched for the first moment; by
    default they are `profile`'s moments at `now` (the generic profile when None).
    """
    if local_today(now) != today:
        raise ValueError(f"today ({today}) is not the local day of now ({now.isoformat()})")
    if moments is None:
        moments = delivery_moments(calendar=calendar, profile=profile or GENERIC_PROFILE, now=now)
    first_moment = next(
        (
            candidate
            for candidate in sorted(moments)
            if _unavailable(product_fields, moment=candidate, calendar=calendar, today=today) is None
        ),
        None,
    )
    code = _unavailable(product_fields, moment=moment, calendar=calendar, today=today)
    if code is None:
        return Availability(orderable=True, reason=None, first_moment=first_moment)
    reason = _reason_text(code, product_fields, moment=moment, today=today, language=language)
    return Availability(orderable=False, reason=reason, first_moment=first_moment, code=code)


def orderable_products_filter(*, moment: DeliveryMoment, calendar: ShopCalendarRules, today: datetime.date) -> Q:
    """The products orderable for `moment` as a `Q` over catalog.Product: the same rules as product_availability.

    Lead time is compared against the working days before the departure, counted here, so
    the whole filter runs in SQL. Combine it with the segment restrictions with `&`.
    """
    delivery = moment.delivery_date
    notice = calendar.working_days_after(today, moment.departure_date)
    return (
        Q(is_active=True)
        & (Q(available_from__isnull=True) | Q(available_from__lte=delivery))
        & (Q(available_until__isnull=True) | Q(available_until__gte=delivery))
        # Canonical weekday strings ('tue,fri'): a three-letter code occurs only as itself.
        & (Q(available_weekdays="") | Q(available_weekdays__contains=WEEKDAY_CODES[delivery.weekday()]))
        & Q(lead_time_days__lte=notice)
    )


# --- Dates and texts in the buyer's language ------------------------------------------------------------------

# An explicit table rather than Django's translation catalogs: the shop has no message
# catalogs, and these short forms ('Di 1 dec', 'Mar. 1er déc.') differ from Django's.
_TEXTS: dict[str, dict] = {
    "en": {
        "weekdays": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        "months": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        "weekday_names": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "weekday_plurals": ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"),
        "date": "{weekday} {day} {month}",
        "lowercase_weekday": False,
        "block": "between {start} 00:00 and {end} 00:00",
        "inactive": "No longer available",
        "ended": "No longer available after {date}",
        "not_yet": "Available from {date}",
        "weekday": "Not deliverable on {weekday}",
        "lead_time_one": "Needs 1 working day's notice",
        "lead_time": "Needs {days} working days' notice",
        "no_moment": "No delivery is possible in the next {days} days. Please contact us.",
        "no_working_departure_day": "None of your departure days ({weekdays}) is a working day of the shop. "
        "Please contact us.",
        "moment_closed": "Delivery on {date} can no longer be ordered. The next delivery is {next}.",
        "moment_closed_no_next": "Delivery on {date} can no longer be ordered. Please contact us.",
    },
    "nl": {
        "weekdays": ("Ma", "Di", "Wo", "Do", "Vr", "Za", "Zo"),
        "months": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
        "weekday_names": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "weekday_plurals": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "date": "{weekday} {day} {month}",
        "lowercase_weekday": True,
        "block": "tussen {start} 00:00 en {end} 00:00",
        "inactive": "Niet meer leverbaar",
        "ended": "Niet meer leverbaar na {date}",
        "not_yet": "Leverbaar vanaf {date}",
        "weekday": "Niet leverbaar op {weekday}",
        "lead_time_one": "Bestel minimaal 1 werkdag vooraf",
        "lead_time": "Bestel minimaal {days} werkdagen vooraf",
        "no_moment": "In de komende {days} dagen is geen levering mogelijk. Neem contact met ons op.",
        "no_working_departure_day": "Geen van uw vertrekdagen ({weekdays}) is een werkdag van de shop. "
        "Neem contact met ons op.",
        "moment_closed": "Levering op {date} kan niet meer besteld worden. De volgende levering is {next}.",
        "moment_closed_no_next": "Levering op {date} kan niet meer besteld worden. Neem contact met ons op.",
    },
    "de": {
        "weekdays": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
        "months": ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."),
        "weekday_names": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        "weekday_plurals": ("Montags", "Dienstags", "Mittwochs", "Donnerstags", "Freitags", "Samstags", "Sonntags"),
        "date": "{weekday}, {day}. {month}",
        "lowercase_weekday": False,
        "block": "zwischen {start} 00:00 und {end} 00:00",
        "inactive": "Nicht mehr lieferbar",
        "ended": "Nicht mehr lieferbar nach {date}",
        "not_yet": "Lieferbar ab {date}",
        "weekday": "{weekday} nicht lieferbar",
        "lead_time_one": "Benötigt 1 Werktag Vorlauf",
        "lead_time": "Benötigt {days} Werktage Vorlauf",
        "no_moment": "In den nächsten {days} Tagen ist keine Lieferung möglich. Bitte kontaktieren Sie uns.",
        "no_working_departure_day": "Keiner Ihrer Versandtage ({weekdays}) ist ein Arbeitstag des Shops. "
        "Bitte kontaktieren Sie uns.",
        "moment_closed": "Lieferung am {date} kann nicht mehr bestellt werden. Die nächste Lieferung ist am {next}.",
        "moment_closed_no_next": "Lieferung am {date} kann nicht mehr bestellt werden. Bitte kontaktieren Sie uns.",
    },
    "fr": {
        "weekdays": ("Lun.", "Mar.", "Mer.", "Jeu.", "Ven.", "Sam.", "Dim."),
        "months": (
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
        ),
        "weekday_names": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "weekday_plurals": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "date": "{weekday} {day} {month}",
        "lowercase_weekday": True,
        "block": "entre le {start} 00:00 et le {end} 00:00",
        "inactive": "N'est plus disponible",
        "ended": "N'est plus disponible après le {date}",
        "not_yet": "Disponible à partir du {date}",
        "weekday": "Pas de livraison le {weekday}",
        "lead_time_one": "Commander 1 jour ouvré à l'avance",
        "lead_time": "Commander {days} jours ouvrés à l'avance",
        "no_moment": "Aucune livraison n'est possible dans les {days} prochains jours. Veuillez nous contacter.",
        "no_working_departure_day": "Aucun de vos jours de départ ({weekdays}) n'est un jour ouvré de la boutique. "
        "Veuillez nous contacter.",
        "moment_closed": "La livraison du {date} ne peut plus être commandée. La prochaine livraison est le {next}.",
        "moment_closed_no_next": "La livraison du {date} ne peut plus être commandée. Veuillez nous contacter.",
    },
}
FALLBACK_LANGUAGE = "en"
LANGUAGES: tuple[str, ...] = tuple(_TEXTS)


def buyer_language(code: str | None) -> str:
    """'nl', 'en', 'de' or 'fr' from a language code ('nl-NL', 'DE', None); English when unsupported."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    return base if base in _TEXTS else FALLBACK_LANGUAGE


def _texts(language: str) -> dict:
    return _TEXTS[buyer_language(language)]


def format_delivery_date(
    day: datetime.date, *, language: str, with_year: bool = False, sentence_start: bool = True
) -> str:
    """A date as buyers see it: 'Tue 1 Dec', 'Di 1 dec', 'Di., 1. Dez.', 'Mar. 1er déc.'.

    Inside a sentence (`sentence_start=False`) Dutch and French weekdays are lower case
    ('Leverbaar vanaf do 3 dec'). `with_year` appends the year.
    """
    texts = _texts(language)
    weekday = texts["weekdays"][day.weekday()]
    if texts["lowercase_weekday"] and not sentence_start:
        weekday = weekday.lower()
    number = "1er" if buyer_language(language) == "fr" and day.day == 1 else str(day.day)
    text = texts["date"].format(weekday=weekday, day=number, month=texts["months"][day.month - 1])
    return f"{text} {day.year}" if with_year else text
