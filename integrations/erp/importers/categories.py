"""categories.csv: the tree, applied as a whole at the end (a parent may come later in the file)."""

from dataclasses import dataclass

import numpy as np

from catalog.models import Category
from catalog.services import category_cycle_find, category_tree_rebuild
from integrations.erp.importers.base import WRITE_BATCH, ChunkResult, Importer, KeyTracker
from integrations.erp.readers import TableChunk
from integrations.erp.report import ChunkErrors, ImportCounts, RowError
from integrations.erp.schemas import CATEGORIES, frame_parse


@dataclass(frozen=True)
class _Row:
    slug: str
    name: str
    parent_slug: str | None  # None: root
    line: int


@dataclass(frozen=True)
class _Stored:
    id: int
    name: str
    parent_slug: str | None


class CategoryImporter(Importer):
    """Checks rows per chunk; parents, cycles and writes happen in `finish`.

    Without a parent_slug column, existing categories keep their parent and new ones
    become roots.
    """

    schema = CATEGORIES

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        super().__init__(columns=columns, decimal_comma=decimal_comma, write=write)
        self.key_tracker = KeyTracker()
        self.rows: dict[str, _Row] = {}

    def feed(self, chunk: TableChunk) -> ChunkResult:
        errors = ChunkErrors(lines=chunk.lines)
        values = frame_parse(schema=self.schema, frame=chunk.frame, errors=errors, decimal_comma=self.decimal_comma)
        slugs = values["slug"]
        self.key_tracker.mark(
            keys=slugs, lines=chunk.lines, usable=(slugs != "").to_numpy(), errors=errors, column="slug"
        )
        parents = values.get("parent_slug")
        for position in np.flatnonzero(~errors.bad):
            slug = slugs.iat[position]
            parent = parents.iat[position] if parents is not None else None
            self.rows[slug] = _Row(slug, values["name"].iat[position], parent or None, int(chunk.lines[position]))
        counts = ImportCounts(rows=chunk.row_count, failed=int(errors.bad.sum()) + len(chunk.errors))
        return ChunkResult(counts=counts, errors=sorted([*chunk.errors, *errors.row_errors()], key=lambda e: e.line))

    def finish(self) -> ChunkResult:
        stored = _categories_stored()
        rejected = self._reject_bad_parents(stored=stored)
        accepted = [row for slug, row in self.rows.items() if slug not in rejected]
        creates = [row for row in accepted if row.slug not in stored]
        updates = [row for row in accepted if row.slug in stored and self._differs(row, stored[row.slug])]
        if self.write and (creates or updates):
            self._write(creates=creates, updates=updates, stored=stored)
        counts = ImportCounts(
            created=len(creates),
            updated=len(updates),
            unchanged=len(accepted) - len(creates) - len(updates),
            failed=len(rejected),
        )
        return ChunkResult(counts=counts, errors=sorted(rejected.values(), key=lambda error: error.line))

    def _parent_of(self, row: _Row, stored: dict[str, _Stored]) -> str | None:
        if "parent_slug" not in self.columns and row.slug in stored:
            return stored[row.slug].parent_slug
        return row.parent_slug

    def _differs(self, row: _Row, current: _Stored) -> bool:
        return row.name != current.name or self._parent_of(row, stored={row.slug: current}) != current.parent_slug

    def _reject_bad_parents(self, *, stored: dict[str, _Stored]) -> dict[str, RowError]:
        """Reject rows with an unknown parent or on a cycle, until the rest forms a tree."""
        rejected: dict[str, RowError] = {}
        while True:
            accepted = {slug: row for slug, row in self.rows.items() if slug not in rejected}
            newly: dict[str, RowError] = {}
            for row in accepted.values():
                parent = self._parent_of(row, stored)
                if parent is None or parent in accepted or parent in stored:
                    continue
                newly[row.slug] = RowError(row.line, "parent_slug", parent, _unknown_parent_message(parent, self.rows))
            parents = {slug: current.parent_slug for slug, current in stored.items()}
            parents.update({slug: self._parent_of(row, stored) for slug, row in accepted.items()})
            for cycle in category_cycle_find(parents=parents):
                text = " → ".join([*cycle, cycle[0]])
                for slug in cycle:
                    if slug in accepted and slug not in newly:
                        row = accepted[slug]
                        newly[slug] = RowError(
                            row.line,
                            "parent_slug",
                            row.parent_slug or "",
                            f"categories may not form a cycle: {text}",
                        )
            if not newly:
                return rejected
            rejected.update(newly)

    def _write(self, *, creates: list[_Row], updates: list[_Row], stored: dict[str, _Stored]) -> None:
        Category.objects.bulk_create(
            [Category(slug=row.slug, name=row.name) for row in creates], batch_size=WRITE_BATCH
        )
        ids = dict(Category.objects.values_list("slug", "id"))
        changed = [
            Category(id=ids[row.slug], name=row.name, parent_id=ids.get(self._parent_of(row, stored) or ""))
            for row in [*creates, *updates]
        ]
        Category.objects.bulk_update(changed, ["name", "parent"], batch_size=WRITE_BATCH)
        category_tree_rebuild()


def _categories_stored() -> dict[str, _Stored]:
    rows = list(Category.objects.values_list("id", "slug", "name", "parent_id"))
    slugs = {category_id: slug for category_id, slug, _name, _parent in rows}
    return {slug: _Stored(category_id, name, slugs.get(parent_id)) for category_id, slug, name, parent_id in rows}


def _unknown_parent_message(parent: str, rows: dict[str, _Row]) -> str:
    if parent in rows:
        return f"the parent category '{parent}' (line {rows[parent].line}) could not be imported"
    return f"no category with slug '{parent}' in the file or the shop"
