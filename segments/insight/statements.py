"""Statements the ORM cannot express in one query: every trait value's counts for the lift, and the
segment overlap masks.

Lift: every trait value's counts in one SQL statement.

Per company: its traits (columns, size band, and from its stored customer values the
main channel, assortment breadth and purchase-frequency band of the 12 months), whether
it is in the segment, its 12-month revenue and whether it bought; then one GROUP BY per
trait over those rows, one per declared custom attribute and one for the totals (UNION
ALL). The segment's companies are computed once (as separate grouped queries per trait
the lift took 4.5 s on the large dataset, as correlated subqueries per company over
10 s; counting distinct products over the year's order lines here cost another 0.4 to
0.9 s, now done with the customer values at each refresh).

The statement is assembled from the models' table names and fixed column names; every
value (band bounds, trait keys, attribute types, the segment's company ids as a
compiled ORM subquery with its own parameters) is a query parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q

from accounts.models import Company, CompanyAttributeDefinition, CompanyAttributeValue
from segments.insight.traits import BREADTH_BANDS, FREQUENCY_BANDS, NO_VALUE
from segments.models import CompanyValue, SegmentMembership
from segments.sources import SIZE_BANDS

Band = tuple[str, str, int, int | None]


def _band_case(column: str, bands: tuple[Band, ...], params: list[Any]) -> str:
    """CASE over a numeric column; the bounds and keys go to `params` in order."""
    whens = []
    for key, _label, low, high in bands:
        if high is None:
            whens.append(f"WHEN {column} >= %s THEN %s")
            params.extend([low, key])
        else:
            whens.append(f"WHEN {column} BETWEEN %s AND %s THEN %s")
            params.extend([low, high, key])
    params.append(NO_VALUE)
    return f"CASE {' '.join(whens)} ELSE %s END"


TOTALS, ATTRIBUTES = "__totals__", "__attributes__"  # rows of the statement that are not a static trait

# trait key -> the column of `base` that holds its value
GROUPED_COLUMNS: dict[str, str] = {
    "sector": "sector", "size_band": "size_band", "country": "country", "customer_group": "customer_group",
    "account_type": "account_type", "main_channel": "main_channel", "breadth": "breadth", "frequency": "frequency",
}


@dataclass(frozen=True)
class LiftCounts:
    companies: int
    segment_size: int
    non_buyers: int
    traits: dict[str, list[dict[str, Any]]]  # trait key -> rows {trait_value, count, inside, revenue, ...}
    # (definition id, text value, yes/no value) -> the same counts and `shown` (a raw value as the ERP sent it)
    attributes: list[dict[str, Any]]


def _euros(cents: int | None) -> Decimal:
    return Decimal(int(cents or 0)) / 100


def lift_rows(*, inside: Q, attribute_kinds: tuple[str, ...]) -> LiftCounts:
    """Every trait value's counts, the totals and the custom attributes' counts: one statement.

    The behaviour traits (breadth, main channel, frequency) are the stored customer
    values' 12-month figures (segments/value.py), so this reads companies, their values
    and attribute rows only, never the order lines; the segment's companies are found
    once for all of it.
    """
    companies, values = Company._meta.db_table, CompanyValue._meta.db_table
    attributes, definitions = CompanyAttributeValue._meta.db_table, CompanyAttributeDefinition._meta.db_table
    inside_sql, inside_params = Company.objects.filter(inside).order_by().values("pk").query.sql_with_params()

    params: list[Any] = [*inside_params]
    size_band = _band_case("c.employee_count", tuple((k, label, low, high) for k, label, low, high in SIZE_BANDS), params)
    # No stored breadth yet (values from before it existed, until the next refresh): unknown, not "nothing bought".
    breadth = _band_case("v.products_12m", BREADTH_BANDS, params)
    frequency = _band_case("COALESCE(v.orders_12m, 0)", FREQUENCY_BANDS, params)
    params.append(NO_VALUE)
    # Revenue is summed in whole cents: exact on SQLite too, whose SUM of decimals is a float.
    counts = (
        "COUNT(*), SUM(inside), SUM(revenue_cents), SUM(CASE WHEN inside = 1 THEN revenue_cents ELSE 0 END), "
        "SUM(non_buyer)"
    )
    # Each branch: trait, trait value, attribute (definition, text, yes/no, as sent), counts.
    # PostgreSQL types a UNION's columns from its first branches, so the empty ones are cast.
    no_attribute = "CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS BOOLEAN), CAST(NULL AS TEXT)"
    groups = [f"SELECT %s, CAST(NULL AS TEXT), {no_attribute}, {counts} FROM base"]
    params.append(TOTALS)
    for trait, column in GROUPED_COLUMNS.items():
        groups.append(f"SELECT %s, {column}, {no_attribute}, {counts} FROM base GROUP BY {column}")
        params.append(trait)
    kinds = ", ".join("%s" for _ in attribute_kinds)
    groups.append(
        f"SELECT %s, CAST(NULL AS TEXT), a.definition_id, a.text_value, a.boolean_value, MIN(a.raw_value), {counts} "
        f"FROM {attributes} a INNER JOIN {definitions} d ON d.id = a.definition_id "
        f"INNER JOIN base ON base.company_id = a.company_id "
        f"WHERE d.value_type IN ({kinds}) AND (a.text_value IS NOT NULL OR a.boolean_value IS NOT NULL) "
        f"AND (a.text_value IS NULL OR a.text_value <> '') "
        f"GROUP BY a.definition_id, a.text_value, a.boolean_value"
    )
    params.extend([ATTRIBUTES, *attribute_kinds])
    sql = f"""
        WITH inside_companies (company_id) AS ({inside_sql}),
        base AS (
            SELECT c.id AS company_id, c.sector AS sector, c.country AS country, c.customer_group AS customer_group,
                   c.account_type AS account_type, {size_band} AS size_band, {breadth} AS breadth,
                   {frequency} AS frequency, COALESCE(NULLIF(v.main_channel_12m, ''), %s) AS main_channel,
                   CASE WHEN i.company_id IS NULL THEN 0 ELSE 1 END AS inside,
                   CAST(ROUND(COALESCE(v.revenue_12m, 0) * 100) AS BIGINT) AS revenue_cents,
                   CASE WHEN v.company_id IS NULL OR v.orders_12m = 0 THEN 1 ELSE 0 END AS non_buyer
            FROM {companies} c
            LEFT JOIN inside_companies i ON i.company_id = c.id
            LEFT JOIN {values} v ON v.company_id = c.id
        )
        {' UNION ALL '.join(groups)}"""
    traits: dict[str, list[dict[str, Any]]] = {trait: [] for trait in GROUPED_COLUMNS}
    found: list[dict[str, Any]] = []
    totals = (0, 0, 0)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for trait, value, definition, text, yes_no, shown, count, within, cents, within_cents, non_buyers in cursor:
            figures = {
                "count": count, "inside": within or 0, "revenue": _euros(cents),
                "inside_revenue": _euros(within_cents) if within else None, "non_buyers": non_buyers or 0,
            }
            if trait == TOTALS:
                totals = (count, within or 0, non_buyers or 0)
            elif trait == ATTRIBUTES:
                found.append({"definition_id": definition, "text_value": text,
                              "boolean_value": None if yes_no is None else bool(yes_no), "shown": shown, **figures})
            else:
                traits[trait].append({"trait_value": value, **figures})
    return LiftCounts(companies=totals[0], segment_size=totals[1], non_buyers=totals[2], traits=traits, attributes=found)


def overlap_mask_counts(*, segment_ids: list[int]) -> dict[int, int]:
    """Bit mask of the chosen segments a contact is in (bit i = segment_ids[i]) -> number of contacts."""
    if not segment_ids:
        return {}
    memberships = SegmentMembership._meta.db_table
    whens = " ".join("WHEN %s THEN %s" for _ in segment_ids)
    params: list[Any] = [value for index, pk in enumerate(segment_ids) for value in (pk, 1 << index)]
    params.extend(segment_ids)
    placeholders = ", ".join("%s" for _ in segment_ids)
    sql = f"""
        SELECT mask, COUNT(*) FROM (
            SELECT contact_id, SUM(CASE segment_id {whens} ELSE 0 END) AS mask
            FROM {memberships} WHERE segment_id IN ({placeholders})
            GROUP BY contact_id
        ) masks GROUP BY mask"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(mask): count for mask, count in cursor.fetchall()}
