"""Sets of weekdays as the ERP writes them: `mon,wed,fri` (empty = no restriction)."""

from collections.abc import Iterable

WEEKDAY_CODES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DUTCH_CODES = {"ma": "mon", "di": "tue", "wo": "wed", "do": "thu", "vr": "fri", "za": "sat", "zo": "sun"}


class WeekdayParseError(ValueError):
    pass


def parse_weekdays(text: str | None) -> str:
    """Normalise a weekday list to canonical, ordered codes; raise on unknown names."""
    if text is None:
        return ""
    codes: set[str] = set()
    for raw in text.replace(";", ",").replace(" ", ",").split(","):
        token = raw.strip().lower()
        if not token:
            continue
        token = _DUTCH_CODES.get(token, token[:3])
        if token not in WEEKDAY_CODES:
            raise WeekdayParseError(f"unknown weekday '{raw.strip()}'; use {', '.join(WEEKDAY_CODES)}")
        codes.add(token)
    return ",".join(code for code in WEEKDAY_CODES if code in codes)


def weekday_numbers(canonical: str) -> frozenset[int]:
    """Python weekday numbers (Monday = 0) of a canonical weekday string."""
    return frozenset(WEEKDAY_CODES.index(code) for code in canonical.split(",") if code)


def format_weekdays(numbers: Iterable[int]) -> str:
    return ",".join(WEEKDAY_CODES[number] for number in sorted(set(numbers)))


def validate_weekdays(value: str) -> None:
    """Django field validator for canonical weekday strings."""
    from django.core.exceptions import ValidationError

    try:
        canonical = parse_weekdays(value)
    except WeekdayParseError as exc:
        raise ValidationError(str(exc)) from exc
    if canonical != value:
        raise ValidationError(f"write weekdays as '{canonical}'")
