"""Load a generated dataset: the ERP files through the ERP import, then what the ERP does not carry.

- `dataset_load` imports the six ERP files in the load order of erp-import.md with
  `erp_import_file` (so the demo exercises the real import path), then applies the
  shop's own web data with `web_activity_apply` and the demo logins with
  `demo_logins_ensure`.
- `web_activity_apply` writes contacts' date_joined/last_login and the open carts with
  bulk operations; it upserts, so applying the same files twice writes nothing.
- `demo_seed` generates a dataset into a temporary folder and loads it.
"""

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Min, Model, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import CompanyAttributeDefinition, Contact, User
from accounts.services import marketing_group_ensure
from b2bshop.demo.dataset import (
    ATTRIBUTES,
    DEMO_BUYER_EMAIL,
    DEMO_COMPANY_ADMIN_EMAIL,
    ERP_ENTITIES,
    WEB_ACCOUNTS_FILE,
    WEB_CARTS_FILE,
    DatasetSpec,
    DatasetStats,
    dataset_generate,
)
from b2bshop.demo.self_service import demo_self_service_ensure
from b2bshop.exceptions import ApplicationError
from catalog.models import Price, Product
from integrations.erp.services import erp_import_file
from integrations.models import ImportRun
from orders.models import Cart, CartLine
from segments.services import segments_mark_dirty

DEMO_MARKETER_EMAIL = "marketer@demo.b2bshop.example"
DEMO_SUPERUSER_EMAIL = "admin@demo.b2bshop.example"

_BATCH = 2_000
_IN_CHUNK = 5_000
_SHOWN_ERRORS = 5

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    description: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(DEMO_BUYER_EMAIL, "demo-buyer", "buyer of Bloemenhuis De Tulp (shop)"),
    DemoLogin(DEMO_COMPANY_ADMIN_EMAIL, "demo-companyadmin", "company admin of Bloemenhuis De Tulp (shop)"),
    DemoLogin(DEMO_MARKETER_EMAIL, "demo-marketer", "marketer: staff in the Marketing group (admin)"),
    DemoLogin(DEMO_SUPERUSER_EMAIL, "demo-admin", "superuser (admin)"),
)


class DatasetLoadError(ApplicationError):
    """The ERP import rejected (part of) a generated file: a bug in the generator or the import."""


@dataclass(frozen=True)
class WebActivityResult:
    accounts_updated: int
    carts_created: int
    cart_lines_created: int
    cart_lines_updated: int
    cart_lines_deleted: int


@dataclass(frozen=True)
class LoadResult:
    runs: dict[str, ImportRun]
    web: WebActivityResult
    logins: tuple[DemoLogin, ...]

    @property
    def created(self) -> int:
        return sum(run.created for run in self.runs.values())

    @property
    def updated(self) -> int:
        return sum(run.updated for run in self.runs.values())


@dataclass(frozen=True)
class SeedResult:
    stats: DatasetStats  # what was generated (the files themselves were temporary)
    load: LoadResult
    today: date  # the day the data ends before (orders up to the day before)


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def dataset_load(
    *, directory: Path, progress: Progress | None = None, expected_rows: Mapping[str, int] | None = None
) -> LoadResult:
    """Import the ERP files in `directory` in load order, then the web data and the demo logins.

    `expected_rows` (rows per entity) turns the import's progress into percentages.
    """
    directory = Path(directory)
    attribute_definitions_ensure()
    runs: dict[str, ImportRun] = {}
    for step, entity in enumerate(ERP_ENTITIES, start=1):
        path = directory / f"{entity}.csv"
        _say(progress, f"[{step}/{len(ERP_ENTITIES) + 2}] importing {entity} ({path.name})")
        total = (expected_rows or {}).get(entity)

        def rows_done(rows: int, entity: str = entity, total: int | None = total) -> None:
            if total is None:
                _say(progress, f"      {entity}: {rows:,} rows read")
            elif rows < total:
                _say(progress, f"      {entity}: {rows:,} of {total:,} rows ({100 * rows // total}%)")

        started = time.perf_counter()
        run = erp_import_file(entity=entity, path=path, source_name=f"demo dataset {path.name}", progress=rows_done)
        _check_run(run)
        runs[entity] = run
        _say(progress, f"      {entity}: {run.rows:,} rows, {run.created:,} created, {run.updated:,} updated "
                       f"in {time.perf_counter() - started:.1f} s")
        if entity == "prices":
            pruned = prices_prune(path=path)
            if pruned:
                _say(progress, f"      prices: {pruned:,} earlier demo prices no longer in the file removed")
    _say(progress, f"[{len(ERP_ENTITIES) + 1}/{len(ERP_ENTITIES) + 2}] applying logins and carts")
    started = time.perf_counter()
    web = web_activity_apply(accounts_path=directory / WEB_ACCOUNTS_FILE, carts_path=directory / WEB_CARTS_FILE)
    _say(progress, f"      {web.accounts_updated:,} contacts, {web.carts_created:,} new carts, "
                   f"{web.cart_lines_created:,} new cart lines in {time.perf_counter() - started:.1f} s")
    _say(progress, f"[{len(ERP_ENTITIES) + 2}/{len(ERP_ENTITIES) + 2}] setting up the demo logins")
    logins = demo_logins_ensure()
    demo_self_service_ensure()  # company admins and the buyer's Favourites (docs/self-service.md)
    planner_statistics_update()
    return LoadResult(runs=runs, web=web, logins=logins)


def planner_statistics_update() -> None:
    """Let PostgreSQL's planner see the freshly loaded volumes at once.

    Autovacuum analyses new tables only after a while (or never, where it is switched off);
    until then the planner guesses row counts, and segment refreshes and shop pages on a
    just-loaded `large` dataset pick slow plans.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _check_run(run: ImportRun) -> None:
    if run.status == ImportRun.Status.FAILED or run.failed:
        shown = "; ".join(
            f"line {error.get('line')} {error.get('column')}: {error.get('message')}"
            for error in (run.errors or [])[:_SHOWN_ERRORS]
        )
        raise DatasetLoadError(
            f"the ERP import of {run.entity} ({run.source_name}) failed: "
            f"{run.message or ''} {run.failed} bad rows. {shown}".strip()
        )


def demo_seed(
    *, spec: DatasetSpec, today: date | None = None, progress: Progress | None = None
) -> SeedResult:
    """Generate the dataset for `spec` into a temporary folder and load it (idempotent)."""
    today = today or _local_today()
    with tempfile.TemporaryDirectory(prefix="b2bshop-demo-") as folder:
        _say(progress, f"generating {spec.companies:,} companies, {spec.contacts:,} contacts, "
                       f"{spec.order_lines:,} order lines (seed {spec.seed})")
        files = dataset_generate(spec=spec, out_dir=Path(folder), today=today, time_zone=settings.SHOP_TIME_ZONE)
        stats = files.stats
        expected = {
            "categories": stats.categories, "companies": stats.companies, "contacts": stats.contacts,
            "products": stats.products, "prices": stats.prices, "orders": stats.order_lines,
        }
        load = dataset_load(directory=files.directory, progress=progress, expected_rows=expected)
    return SeedResult(stats=stats, load=load, today=today)


def _local_today() -> date:
    return timezone.localdate()


# --- what the ERP does not carry -----------------------------------------------------------------


def attribute_definitions_ensure() -> int:
    """Declare the types of the dataset's `attr.*` columns, as a marketer would in the admin.

    Run before the companies import, so that the import reads numbers, dates and booleans
    instead of text. Existing definitions are left as they are; returns how many were created.
    """
    existing = set(
        CompanyAttributeDefinition.objects.filter(name__in=[name for name, *_ in ATTRIBUTES])
        .values_list("name", flat=True)
    )
    created = CompanyAttributeDefinition.objects.bulk_create(
        [
            CompanyAttributeDefinition(name=name, label=label, value_type=value_type, help_text=help_text)
            for name, label, value_type, help_text in ATTRIBUTES
            if name not in existing
        ]
    )
    return len(created)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _ids_by(model: type[Model], *, field: str, values: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        found.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, "pk"))
    return found


@transaction.atomic
def prices_prune(*, path: Path) -> int:
    """Delete prices of the file's companies and price groups that the file no longer has.

    The ERP import only upserts. Validity dates of the generated prices are relative to
    the day of generation, so seeding again on another day would otherwise keep the
    earlier prices next to the new ones. Returns the number of prices deleted.
    """
    prices = _read(path)
    wanted = {
        (row.company_erp_id, row.price_group, row.sku, row.valid_from or None)
        for row in prices.itertuples(index=False)
    }
    companies = sorted(set(prices["company_erp_id"]) - {""})
    groups = sorted(set(prices["price_group"]) - {""})
    stale: list[int] = []
    for start in range(0, max(len(companies), 1), _IN_CHUNK):
        scope = Q(company__erp_id__in=companies[start : start + _IN_CHUNK])
        if start == 0:
            scope |= Q(company__isnull=True, price_group__in=groups)
        for pk, erp_id, group, sku, valid_from in Price.objects.filter(scope).values_list(
            "pk", "company__erp_id", "price_group", "product__sku", "valid_from"
        ):
            key = (erp_id or "", group, sku, valid_from.isoformat() if valid_from else None)
            if key not in wanted:
                stale.append(pk)
    for start in range(0, len(stale), _IN_CHUNK):
        Price.objects.filter(pk__in=stale[start : start + _IN_CHUNK]).delete()
    return len(stale)


def _instants(cells: pd.Series) -> list[datetime | None]:
    parsed = pd.to_datetime(cells.replace("", None), utc=True, format="ISO8601")
    return [None if pd.isna(value) else value.to_pydatetime() for value in parsed]


def _rows_update(*, model: type[Model], fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Set `fields` of many rows, each `(pk, *values)`, with one UPDATE ... FROM (VALUES ...) per batch.

    Django's bulk_update builds a CASE expression per row and field in Python, which
    takes minutes for the 100k contacts of the large dataset; this takes seconds.
    Portable to PostgreSQL and SQLite >= 3.33 (VALUES columns are column1, column2, ...).
    Identifiers come from the model's meta, values are parameters.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    meta_fields = [model._meta.get_field(name) for name in fields]
    typed = connection.vendor == "postgresql"  # a batch whose column is all NULL needs the type

    def source(index: int, field: Field) -> str:
        column = f"v.column{index + 2}"
        return f"CAST({column} AS {field.db_type(connection)})" if typed else column

    assignments = ", ".join(f"{quote(field.column)} = {source(k, field)}" for k, field in enumerate(meta_fields))
    batch = max(1, min(_BATCH, 30_000 // (len(fields) + 1)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"] * len(chunk))
            params = [
                value
                for pk, *values in chunk
                for value in (pk, *(field.get_db_prep_save(v, connection) for field, v in zip(meta_fields, values)))
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {placeholders}) AS v "
                f"WHERE {table}.{quote(model._meta.pk.column)} = v.column1",
                params,
            )


@transaction.atomic
def web_activity_apply(*, accounts_path: Path, carts_path: Path) -> WebActivityResult:
    """Write contacts' date_joined/last_login and the open carts from the generated web files.

    Upserts: a contact or cart line whose values are already as in the files is not
    written, lines of a listed cart that the file no longer has are deleted, and carts
    of contacts that are not in the file are left alone.
    """
    accounts = _read(accounts_path)
    contact_ids = _ids_by(Contact, field="email", values=accounts["email"].tolist())
    joined = _instants(accounts["date_joined"])
    logins = _instants(accounts["last_login"])
    wanted = {
        contact_ids[email]: (joined[k], logins[k])
        for k, email in enumerate(accounts["email"])
        if email in contact_ids
    }
    changed: list[tuple[int, datetime | None, datetime | None]] = []
    ids = list(wanted)
    for start in range(0, len(ids), _IN_CHUNK):
        for pk, date_joined, last_login in User.objects.filter(pk__in=ids[start : start + _IN_CHUNK]).values_list(
            "pk", "date_joined", "last_login"
        ):
            target_joined, target_login = wanted[pk]
            if (date_joined, last_login) != (target_joined, target_login):
                changed.append((pk, target_joined, target_login))
    _rows_update(model=User, fields=("date_joined", "last_login"), rows=changed)

    carts = _read(carts_path)
    cart_contacts = _ids_by(Contact, field="email", values=sorted(set(carts["email"])))
    product_ids = _ids_by(Product, field="sku", values=sorted(set(carts["sku"])))
    carts = carts[carts["email"].isin(cart_contacts) & carts["sku"].isin(product_ids)]
    contact_pks = sorted({cart_contacts[email] for email in carts["email"]})
    open_carts: dict[int, int] = {}
    for start in range(0, len(contact_pks), _IN_CHUNK):
        open_carts.update(
            Cart.objects.filter(contact_id__in=contact_pks[start : start + _IN_CHUNK], status=Cart.Status.OPEN)
            .values_list("contact_id", "pk")
        )
    missing = [pk for pk in contact_pks if pk not in open_carts]
    Cart.objects.bulk_create([Cart(contact_id=pk, status=Cart.Status.OPEN) for pk in missing], batch_size=_BATCH)
    if missing:
        for start in range(0, len(missing), _IN_CHUNK):
            open_carts.update(
                Cart.objects.filter(contact_id__in=missing[start : start + _IN_CHUNK], status=Cart.Status.OPEN)
                .values_list("contact_id", "pk")
            )

    added = _instants(carts["added_at"])
    target: dict[tuple[int, int], tuple[int, Decimal, datetime | None]] = {}
    for k, row in enumerate(carts.itertuples(index=False)):
        key = (open_carts[cart_contacts[row.email]], product_ids[row.sku])
        target[key] = (int(row.quantity), Decimal(row.unit_price), added[k])
    cart_pks = sorted(set(open_carts.values()))
    existing: dict[tuple[int, int], tuple[int, int, Decimal, datetime]] = {}
    for start in range(0, len(cart_pks), _IN_CHUNK):
        for pk, cart_id, product_id, quantity, unit_price, added_at in CartLine.objects.filter(
            cart_id__in=cart_pks[start : start + _IN_CHUNK]
        ).values_list("pk", "cart_id", "product_id", "quantity", "unit_price", "added_at"):
            existing[(cart_id, product_id)] = (pk, quantity, unit_price, added_at)

    to_create = [
        CartLine(cart_id=cart_id, product_id=product_id, quantity=quantity, unit_price=price, added_at=at)
        for (cart_id, product_id), (quantity, price, at) in target.items()
        if (cart_id, product_id) not in existing
    ]
    to_update = [
        CartLine(pk=existing[key][0], quantity=quantity, unit_price=price, added_at=at)
        for key, (quantity, price, at) in target.items()
        if key in existing and existing[key][1:] != (quantity, price, at)
    ]
    to_delete = [line[0] for key, line in existing.items() if key not in target]
    CartLine.objects.bulk_create(to_create, batch_size=_BATCH)
    CartLine.objects.bulk_update(to_update, ["quantity", "unit_price", "added_at"], batch_size=_BATCH)
    for start in range(0, len(to_delete), _IN_CHUNK):
        CartLine.objects.filter(pk__in=to_delete[start : start + _IN_CHUNK]).delete()

    # A cart was opened when its first line was added.
    if to_create or to_update or to_delete or missing:
        first_added = CartLine.objects.filter(cart=OuterRef("pk")).values("cart").annotate(first=Min("added_at"))
        for start in range(0, len(cart_pks), _IN_CHUNK):
            Cart.objects.filter(pk__in=cart_pks[start : start + _IN_CHUNK]).update(
                created_at=Subquery(first_added.values("first")[:1])
            )
    if changed or to_create or to_update or to_delete:
        segments_mark_dirty(reason="demo data: logins and carts")
    return WebActivityResult(
        accounts_updated=len(changed),
        carts_created=len(missing),
        cart_lines_created=len(to_create),
        cart_lines_updated=len(to_update),
        cart_lines_deleted=len(to_delete),
    )


# --- demo logins -------------------------------------------------------------------------------


@transaction.atomic
def demo_logins_ensure() -> tuple[DemoLogin, ...]:
    """Passwords for the demo contacts, plus the marketer and the superuser; idempotent.

    The buyer and the company admin are contacts from the ERP files (the admin gets the
    shop role `admin`); they are skipped when the dataset has no such contacts.
    """
    passwords = {login.email: login.password for login in DEMO_LOGINS}
    ready: list[DemoLogin] = []
    for email in (DEMO_BUYER_EMAIL, DEMO_COMPANY_ADMIN_EMAIL):
        contact = Contact.objects.filter(email=email).first()
        if contact is None:
            continue
        contact.set_password(passwords[email])
        if email == DEMO_COMPANY_ADMIN_EMAIL:
            contact.shop_role = User.ShopRole.ADMIN
        contact.save(update_fields=["password", "shop_role"])
        ready.append(next(login for login in DEMO_LOGINS if login.email == email))

    marketer, _ = User.objects.get_or_create(
        email=DEMO_MARKETER_EMAIL,
        defaults={"first_name": "Mila", "last_name": "Jansen", "job_title": "Marketing manager", "language": "en"},
    )
    marketer.is_staff = True
    marketer.set_password(passwords[DEMO_MARKETER_EMAIL])
    marketer.save(update_fields=["is_staff", "password"])
    marketer.groups.add(marketing_group_ensure())

    superuser, _ = User.objects.get_or_create(
        email=DEMO_SUPERUSER_EMAIL, defaults={"first_name": "Shop", "last_name": "Administrator", "language": "en"}
    )
    superuser.is_staff = True
    superuser.is_superuser = True
    superuser.set_password(passwords[DEMO_SUPERUSER_EMAIL])
    superuser.save(update_fields=["is_staff", "is_superuser", "password"])
    ready.extend(login for login in DEMO_LOGINS if login.email in (DEMO_MARKETER_EMAIL, DEMO_SUPERUSER_EMAIL))
    return tuple(ready)
