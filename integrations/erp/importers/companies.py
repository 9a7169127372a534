"""companies.csv: upsert by erp_id, plus the typed `attr.<name>` custom attributes."""

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from accounts.models import Company, CompanyAttributeDefinition, CompanyAttributeValue
from accounts.text import COMPANY_FOLDED_FIELDS, fold
from integrations.erp import parsers
from integrations.erp.exceptions import ErpFileError
from integrations.erp.importers.base import (
    WRITE_BATCH,
    UpsertPlan,
    fields_changed,
    folded_add,
    folded_fields,
    in_batches,
    python_values,
    records_build,
    upsert_apply,
    upsert_plan,
    values_in,
)
from integrations.erp.importers.rows import RowImporter
from integrations.erp.report import ChunkErrors, ImportCounts
from integrations.erp.schemas import ATTRIBUTE_PREFIX, COMPANIES, Kind

_ATTRIBUTE_NAME = re.compile(r"[-a-zA-Z0-9_]{1,64}")
_VALUE_FIELDS = ("raw_value", "text_value", "number_value", "date_value", "boolean_value")
_TYPED_FIELD = {
    CompanyAttributeDefinition.ValueType.TEXT: ("text_value", Kind.TEXT),
    CompanyAttributeDefinition.ValueType.NUMBER: ("number_value", Kind.DECIMAL),
    CompanyAttributeDefinition.ValueType.DATE: ("date_value", Kind.DATE),
    CompanyAttributeDefinition.ValueType.BOOLEAN: ("boolean_value", Kind.BOOLEAN),
}


@dataclass(frozen=True)
class _Attribute:
    column: str
    definition_id: int | None  # None in a dry run for a definition not created yet
    value_type: str


class CompanyImporter(RowImporter):
    schema = COMPANIES

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        super().__init__(columns=columns, decimal_comma=decimal_comma, write=write)
        self.fields = [column.name for column in self.schema.columns if column.name in columns]
        self.stored_fields = [*self.fields, *folded_fields(fields=self.fields, folded=COMPANY_FOLDED_FIELDS)]
        self.attributes = _attribute_definitions(columns=columns, write=write)

    def rows_check(self, *, values: dict[str, pd.Series], frame: pd.DataFrame, errors: ChunkErrors) -> None:
        for attribute in self.attributes:
            values[attribute.column] = _attribute_parse(
                attribute=attribute, cells=frame[attribute.column], errors=errors, decimal_comma=self.decimal_comma
            )

    def rows_apply(
        self, *, values: dict[str, pd.Series], frame: pd.DataFrame, keys: pd.Series, rows: np.ndarray
    ) -> ImportCounts:
        records = records_build(schema=self.schema, values=values, rows=rows, names=self.fields)
        folded_add(records=records, folded=COMPANY_FOLDED_FIELDS)
        existing = _companies_existing(keys=[record["erp_id"] for record in records], fields=self.stored_fields)
        plan = upsert_plan(model=Company, rows=((record["erp_id"], record) for record in records), existing=existing)
        wanted = self._attribute_values(values=values, frame=frame, rows=rows, keys=keys)
        stored = _attribute_values_existing(
            company_ids=[row["id"] for row in existing.values()],
            definition_ids=[a.definition_id for a in self.attributes if a.definition_id is not None],
        )
        attribute_plan = _attribute_plan(wanted=wanted, stored=stored, existing=existing)
        created_keys = {obj.erp_id for obj in plan.creates}
        updated_keys = {obj.erp_id for obj in plan.updates} | (attribute_plan.changed_keys - created_keys)
        if self.write:
            upsert_apply(model=Company, plan=plan)
            attribute_plan.apply(company_ids=_company_ids(plan=plan, existing=existing))
        return ImportCounts(
            created=len(created_keys),
            updated=len(updated_keys),
            unchanged=len(records) - len(created_keys) - len(updated_keys),
        )

    def _attribute_values(
        self, *, values: dict[str, pd.Series], frame: pd.DataFrame, rows: np.ndarray, keys: pd.Series
    ) -> dict[tuple[str, int | None, str], dict[str, Any] | None]:
        """(erp_id, definition id, column) -> the value fields, or None for an empty cell."""
        wanted: dict[tuple[str, int | None, str], dict[str, Any] | None] = {}
        row_keys = keys.iloc[rows].tolist()
        for attribute in self.attributes:
            typed_field, kind = _TYPED_FIELD[attribute.value_type]
            raw = frame[attribute.column].iloc[rows].str.strip().tolist()
            typed = python_values(kind=kind, series=values[attribute.column].iloc[rows])
            for key, raw_value, typed_value in zip(row_keys, raw, typed, strict=True):
                value: dict[str, Any] | None = None
                if raw_value != "":
                    value = dict.fromkeys(_VALUE_FIELDS[1:])
                    value["raw_value"] = raw_value
                    # Text attributes keep the folded text for case-insensitive rules.
                    value[typed_field] = fold(typed_value) if typed_field == "text_value" else typed_value
                wanted[(key, attribute.definition_id, attribute.column)] = value
        return wanted


def _attribute_definitions(*, columns: tuple[str, ...], write: bool) -> list[_Attribute]:
    """The definitions of the file's attr.<name> columns; missing ones are created as text."""
    names = {column[len(ATTRIBUTE_PREFIX) :]: column for column in columns if column.startswith(ATTRIBUTE_PREFIX)}
    for name, column in names.items():
        if not _ATTRIBUTE_NAME.fullmatch(name):
            raise ErpFileError(
                f"the column '{column}' has no valid attribute name; after 'attr.' use up to 64 letters, "
                "digits, hyphens (-) or underscores (_)"
            )
    if not names:
        return []
    definitions = {d.name: d for d in CompanyAttributeDefinition.objects.filter(name__in=list(names))}
    missing = [name for name in names if name not in definitions]
    if missing and write:
        CompanyAttributeDefinition.objects.bulk_create([CompanyAttributeDefinition(name=name) for name in missing])
        definitions = {d.name: d for d in CompanyAttributeDefinition.objects.filter(name__in=list(names))}
    return [
        _Attribute(
            column=column,
            definition_id=definitions[name].pk if name in definitions else None,
            value_type=definitions[name].value_type
            if name in definitions
            else CompanyAttributeDefinition.ValueType.TEXT,
        )
        for name, column in names.items()
    ]


def _attribute_parse(*, attribute: _Attribute, cells: pd.Series, errors: ChunkErrors, decimal_comma: bool) -> pd.Series:
    """The typed value per the definition's value type; the raw text is kept as well."""

    def parse(distinct: pd.Series, problems: parsers.Problems) -> pd.Series:
        parsers.text_parse(distinct, problems=problems, max_length=255)
        match attribute.value_type:
            case CompanyAttributeDefinition.ValueType.NUMBER:
                return parsers.decimal_parse(
                    distinct,
                    problems=problems,
                    max_digits=20,
                    decimal_places=6,
                    decimal_comma=decimal_comma,
                    minimum=None,
                )
            case CompanyAttributeDefinition.ValueType.DATE:
                return parsers.date_parse(distinct, problems=problems)
            case CompanyAttributeDefinition.ValueType.BOOLEAN:
                return parsers.boolean_parse(distinct, problems=problems)
        return distinct

    return parsers.distinct_parse(cells, column=attribute.column, errors=errors, parse=parse)


def _companies_existing(*, keys: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    existing: dict[str, dict[str, Any]] = {}
    for batch in in_batches(keys):
        for row in Company.objects.filter(values_in("erp_id", batch)).values("id", *fields):
            existing[row["erp_id"]] = row
    return existing


def _attribute_values_existing(
    *, company_ids: list[int], definition_ids: list[int]
) -> dict[tuple[int, int], dict[str, Any]]:
    if not company_ids or not definition_ids:
        return {}
    stored: dict[tuple[int, int], dict[str, Any]] = {}
    for batch in in_batches(company_ids):
        rows = CompanyAttributeValue.objects.filter(
            values_in("company_id", batch), definition_id__in=definition_ids
        ).values("id", "company_id", "definition_id", *_VALUE_FIELDS)
        for row in rows:
            stored[(row["company_id"], row["definition_id"])] = row
    return stored


def _company_ids(*, plan: UpsertPlan, existing: dict[str, dict[str, Any]]) -> dict[str, int]:
    ids = {key: row["id"] for key, row in existing.items()}
    created = {obj.erp_id: obj.pk for obj in plan.creates}  # type: ignore[attr-defined]
    if any(pk is None for pk in created.values()):
        for batch in in_batches(list(created)):
            created.update(Company.objects.filter(erp_id__in=batch).values_list("erp_id", "id"))
    return {**ids, **created}


@dataclass
class _AttributePlan:
    """Attribute values to create, update and delete; keys are company erp ids."""

    creates: list[tuple[str, int, dict[str, Any]]]
    updates: list[CompanyAttributeValue]
    deletes: list[int]
    changed_keys: set[str]

    def apply(self, *, company_ids: dict[str, int]) -> None:
        if self.deletes:
            for batch in in_batches(self.deletes):
                CompanyAttributeValue.objects.filter(pk__in=batch).delete()
        if self.updates:
            CompanyAttributeValue.objects.bulk_update(self.updates, list(_VALUE_FIELDS), batch_size=WRITE_BATCH)
        if self.creates:
            CompanyAttributeValue.objects.bulk_create(
                [
                    CompanyAttributeValue(company_id=company_ids[key], definition_id=definition_id, **value)
                    for key, definition_id, value in self.creates
                ],
                batch_size=WRITE_BATCH,
            )


def _attribute_plan(
    *,
    wanted: dict[tuple[str, int | None, str], dict[str, Any] | None],
    stored: dict[tuple[int, int], dict[str, Any]],
    existing: dict[str, dict[str, Any]],
) -> _AttributePlan:
    plan = _AttributePlan(creates=[], updates=[], deletes=[], changed_keys=set())
    for (key, definition_id, _column), value in wanted.items():
        company = existing.get(key)
        current = stored.get((company["id"], definition_id)) if company and definition_id is not None else None
        if value is None:
            if current is not None:
                plan.deletes.append(current["id"])
                plan.changed_keys.add(key)
            continue
        if current is None:
            plan.creates.append((key, definition_id, value))  # type: ignore[arg-type]
            plan.changed_keys.add(key)
        elif fields_changed(current=current, new=value):
            plan.updates.append(CompanyAttributeValue(id=current["id"], **value))
            plan.changed_keys.add(key)
    return plan
