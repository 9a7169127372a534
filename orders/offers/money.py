"""Money in the offers: Decimal euros, rounded to cents half up (0.005 -> 0.01), per line."""

from decimal import ROUND_HALF_UP, Decimal

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


def money(amount: Decimal) -> Decimal:
    """`amount` rounded to cents, half up (commercial rounding, as on an invoice)."""
    return amount.quantize(CENTS, rounding=ROUND_HALF_UP)


def euro(amount: Decimal) -> str:
    """A buyer-facing amount: 'EUR 1,234.50'."""
    return f"EUR {money(amount):,.2f}"
