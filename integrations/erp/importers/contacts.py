"""contacts.csv: upsert web accounts by email; new ones get an unusable password."""

from typing import Any

import numpy as np
import pandas as pd

from accounts.models import Company, User
from accounts.text import CONTACT_FOLDED_FIELDS
from integrations.erp.importers.base import (
    KeyLookup,
    folded_add,
    folded_fields,
    in_batches,
    records_build,
    upsert_apply,
    upsert_plan,
    values_in,
)
from integrations.erp.importers.rows import RowImporter, unknown_reference_check
from integrations.erp.report import ChunkErrors, ImportCounts
from integrations.erp.schemas import CONTACTS


class ContactImporter(RowImporter):
    schema = CONTACTS

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        super().__init__(columns=columns, decimal_comma=decimal_comma, write=write)
        self.fields = [c.name for c in self.schema.columns if c.name in columns and c.name != "company_erp_id"]
        self.stored_fields = [*self.fields, *folded_fields(fields=self.fields, folded=CONTACT_FOLDED_FIELDS)]
        self.companies = KeyLookup(Company.objects.all(), key_field="erp_id")
        self.existing: dict[str, dict[str, Any]] = {}
        self.company_ids = pd.Series(dtype=object)

    def rows_check(self, *, values: dict[str, pd.Series], frame: pd.DataFrame, errors: ChunkErrors) -> None:
        self.company_ids = self.companies.resolve(values["company_erp_id"])
        unknown_reference_check(
            cells=values["company_erp_id"],
            ids=self.company_ids,
            errors=errors,
            column="company_erp_id",
            message="no company with ERP id '{value}'; import the companies first",
        )
        emails = values["email"]
        self.existing = _users_existing(emails=[email for email in emails.unique() if email], fields=self.stored_fields)
        staff = {email for email, row in self.existing.items() if row["company_id"] is None}
        if staff:
            errors.add(
                mask=emails.isin(staff).to_numpy(),
                column="email",
                values=emails,
                message="this email address belongs to a staff account, not to a contact of a company",
            )

    def rows_apply(
        self, *, values: dict[str, pd.Series], frame: pd.DataFrame, keys: pd.Series, rows: np.ndarray
    ) -> ImportCounts:
        records = records_build(schema=self.schema, values=values, rows=rows, names=self.fields)
        folded_add(records=records, folded=CONTACT_FOLDED_FIELDS)
        for record, company_id in zip(records, self.company_ids.iloc[rows], strict=True):
            record["company_id"] = int(company_id)
        plan = upsert_plan(model=User, rows=((record["email"], record) for record in records), existing=self.existing)
        if self.write:
            for user in plan.creates:
                user.set_unusable_password()
            upsert_apply(model=User, plan=plan)
        return ImportCounts(created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged)


def _users_existing(*, emails: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    """Stored users by email, staff included (their address cannot become a contact)."""
    existing: dict[str, dict[str, Any]] = {}
    for batch in in_batches(emails):
        for row in User.objects.filter(values_in("email", batch)).values("id", "company_id", *fields):
            existing[row["email"]] = row
    return existing
