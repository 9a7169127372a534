"""Case-insensitive text as the segment engine compares it.

Databases fold case differently (SQLite only folds ASCII; PostgreSQL follows its
locale), so the folded form of every rule-comparable text column is computed here,
in Python, and stored in a `*_ci` shadow column by the services that write the text.
"""

from collections.abc import Iterable

# Company columns a segment rule can compare as text, each with a `<name>_ci` shadow.
COMPANY_FOLDED_FIELDS: tuple[str, ...] = ("erp_id", "name", "region", "city", "sector", "customer_group", "price_group")
# Contact (user) columns with a shadow column.
CONTACT_FOLDED_FIELDS: tuple[str, ...] = ("job_title",)


def fold(text: str | None) -> str | None:
    """Unicode lower-casing; None stays None."""
    return None if text is None else text.lower()


def shadow_values(instance: object, fields: Iterable[str]) -> dict[str, str | None]:
    return {f"{field}_ci": fold(getattr(instance, field)) for field in fields}


def fill_shadow_columns(instance: object, fields: Iterable[str]) -> None:
    """Set the `*_ci` attributes of an unsaved or changed instance from its text fields."""
    for name, value in shadow_values(instance, fields).items():
        setattr(instance, name, value)
