"""products.csv: upsert by sku; the category must exist."""

import numpy as np
import pandas as pd

from catalog.models import Category, Product
from integrations.erp.importers.base import KeyLookup, in_batches, records_build, upsert_apply, upsert_plan, values_in
from integrations.erp.importers.rows import RowImporter, unknown_reference_check
from integrations.erp.report import ChunkErrors, ImportCounts
from integrations.erp.schemas import PRODUCTS


class ProductImporter(RowImporter):
    schema = PRODUCTS

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        super().__init__(columns=columns, decimal_comma=decimal_comma, write=write)
        self.fields = [c.name for c in self.schema.columns if c.name in columns and c.name != "category_slug"]
        self.categories = KeyLookup(Category.objects.all(), key_field="slug")
        self.category_ids = pd.Series(dtype=object)

    def rows_check(self, *, values: dict[str, pd.Series], frame: pd.DataFrame, errors: ChunkErrors) -> None:
        if "unit" in values:
            values["unit"] = values["unit"].str.lower()
        self.category_ids = self.categories.resolve(values["category_slug"])
        unknown_reference_check(
            cells=values["category_slug"],
            ids=self.category_ids,
            errors=errors,
            column="category_slug",
            message="no category with slug '{value}'; import the categories first",
        )
        if "available_from" in values and "available_until" in values:
            errors.add(
                mask=(values["available_until"] < values["available_from"]).to_numpy(),
                column="available_until",
                values=frame["available_until"],
                message="is before available_from",
            )

    def rows_apply(
        self, *, values: dict[str, pd.Series], frame: pd.DataFrame, keys: pd.Series, rows: np.ndarray
    ) -> ImportCounts:
        records = records_build(schema=self.schema, values=values, rows=rows, names=self.fields)
        for record, category_id in zip(records, self.category_ids.iloc[rows], strict=True):
            record["category_id"] = int(category_id)
        existing = {}
        for batch in in_batches([record["sku"] for record in records]):
            for row in Product.objects.filter(values_in("sku", batch)).values("id", "category_id", *self.fields):
                existing[row["sku"]] = row
        plan = upsert_plan(model=Product, rows=((record["sku"], record) for record in records), existing=existing)
        if self.write:
            upsert_apply(model=Product, plan=plan)
        return ImportCounts(created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged)
