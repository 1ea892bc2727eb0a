"""Money as the interface shows it: integer cents (style.md) in Dutch notation."""


def cents_to_euros(cents: int | None) -> str:
    """Return cents as a Dutch amount without the euro sign: 4500000 -> '45.000,00'."""
    whole, rest = divmod(int(cents or 0), 100)
    return f"{whole:,}".replace(",", ".") + f",{rest:02d}"
