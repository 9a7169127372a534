"""prices.csv: customer-specific prices for a company or a price group (exactly one)."""

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Q

from accounts.models import Company
from catalog.models import Price, Product
from integrations.erp.importers.base import (
    KeyLookup,
    in_batches,
    key_join,
    records_build,
    upsert_apply,
    upsert_plan,
    values_in,
)
from integrations.erp.importers.rows import RowImporter, unknown_reference_check
from integrations.erp.report import ChunkErrors, ImportCounts
from integrations.erp.schemas import PRICES


class PriceImporter(RowImporter):
    """Key: (company or price group, product, valid_from); price and valid_until are updated."""

    schema = PRICES

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        super().__init__(columns=columns, decimal_comma=decimal_comma, write=write)
        self.fields = [
            c.name
            for c in self.schema.columns
            if c.name in ("price", "valid_from", "valid_until") and c.name in columns
        ]
        self.companies = KeyLookup(Company.objects.all(), key_field="erp_id")
        self.products = KeyLookup(Product.objects.all(), key_field="sku")
        self.company_ids = pd.Series(dtype=object)
        self.product_ids = pd.Series(dtype=object)

    def row_keys(self, values: dict[str, pd.Series]) -> tuple[pd.Series, np.ndarray]:
        empty = pd.Series("", index=values["sku"].index)
        company = values.get("company_erp_id", empty)
        group = values.get("price_group", empty)
        valid_from = values["valid_from"].dt.strftime("%Y-%m-%d").fillna("") if "valid_from" in values else empty
        keys = key_join(company, group, values["sku"], valid_from)
        return keys, ((values["sku"] != "") & ((company != "") ^ (group != ""))).to_numpy()

    def rows_check(self, *, values: dict[str, pd.Series], frame: pd.DataFrame, errors: ChunkErrors) -> None:
        empty = pd.Series("", index=values["sku"].index)
        company = values.setdefault("company_erp_id", empty)
        group = values.setdefault("price_group", empty)
        both = (company != "") & (group != "")
        errors.add(
            mask=both.to_numpy(),
            column="company_erp_id",
            values=company,
            message="give either a company_erp_id or a price_group, not both",
        )
        errors.add(
            mask=((company == "") & (group == "")).to_numpy(),
            column="company_erp_id",
            values=company,
            message="give a company_erp_id or a price_group",
        )
        self.company_ids = self.companies.resolve(company)
        unknown_reference_check(
            cells=company,
            ids=self.company_ids,
            errors=errors,
            column="company_erp_id",
            message="no company with ERP id '{value}'; import the companies first",
        )
        self.product_ids = self.products.resolve(values["sku"])
        unknown_reference_check(
            cells=values["sku"],
            ids=self.product_ids,
            errors=errors,
            column="sku",
            message="no product with SKU '{value}'; import the products first",
        )
        if "valid_from" in values and "valid_until" in values:
            errors.add(
                mask=(values["valid_until"] < values["valid_from"]).to_numpy(),
                column="valid_until",
                values=frame["valid_until"],
                message="is before valid_from",
            )

    def rows_apply(
        self, *, values: dict[str, pd.Series], frame: pd.DataFrame, keys: pd.Series, rows: np.ndarray
    ) -> ImportCounts:
        records = records_build(schema=self.schema, values=values, rows=rows, names=self.fields)
        for record, company_id, group, product_id in zip(
            records,
            self.company_ids.iloc[rows],
            values["price_group"].iloc[rows],
            self.product_ids.iloc[rows],
            strict=True,
        ):
            record["company_id"] = None if pd.isna(company_id) else int(company_id)
            record["price_group"] = "" if record["company_id"] else group
            record["product_id"] = int(product_id)
            record.setdefault("valid_from", None)
        existing = _prices_existing(records=records)
        plan = upsert_plan(model=Price, rows=((_price_key(record), record) for record in records), existing=existing)
        if self.write:
            upsert_apply(model=Price, plan=plan)
        return ImportCounts(created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged)


def _price_key(row: dict[str, Any]) -> Hashable:
    return (row["company_id"], row["price_group"], row["product_id"], row["valid_from"])


def _prices_existing(*, records: list[dict[str, Any]]) -> dict[Hashable, dict[str, Any]]:
    """Stored prices of the chunk's products for its companies and price groups."""
    existing: dict[Hashable, dict[str, Any]] = {}
    company_ids = {record["company_id"] for record in records if record["company_id"]}
    groups = {record["price_group"] for record in records if record["price_group"]}
    for batch in in_batches({record["product_id"] for record in records}):
        owners = values_in("company_id", sorted(company_ids)) | (
            Q(company__isnull=True) & values_in("price_group", sorted(groups))
        )
        rows = Price.objects.filter(owners, values_in("product_id", batch)).values(
            "id", "company_id", "price_group", "product_id", "price", "valid_from", "valid_until"
        )
        for row in rows:
            existing[_price_key(row)] = row
    return existing
