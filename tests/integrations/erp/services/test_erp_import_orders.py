import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from orders.models import Order, OrderLine
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory
from tests.integrations.erp.files import counts_of, csv_text, errors_of
from tests.orders.factories import OrderFactory, OrderLineFactory

HEADER = (
    "order_number,line_no,company_erp_id,contact_email,ordered_at,channel,status,delivery_date,sku,quantity,unit_price"
)
AT = "2025-03-03T09:30:00+01:00"


def _line(
    number: str,
    line_no: int,
    *,
    company="000123",
    email="",
    at=AT,
    channel="phone",
    status="",
    delivery="",
    sku="R-1",
    quantity="10",
    price="1.50",
) -> str:
    return f"{number},{line_no},{company},{email},{at},{channel},{status},{delivery},{sku},{quantity},{price}"


def _lines(number: str) -> list[tuple[int, str, int, Decimal]]:
    return list(
        OrderLine.objects.filter(order__order_number=number).values_list(
            "line_no", "product__sku", "quantity", "unit_price"
        )
    )


@pytest.fixture
def shop(db):
    company = CompanyFactory(erp_id="000123")
    return company, ProductFactory(sku="R-1"), ProductFactory(sku="T-2")


@pytest.mark.django_db
class OrderImportTests:
    def test_imports_an_order_with_its_lines_and_total(self, run_import, shop):
        company, _rose, _tulip = shop
        run = run_import(
            "orders",
            csv_text(
                HEADER, _line("SO1", 1, delivery="2025-03-05"), _line("SO1", 2, sku="T-2", quantity="3", price="2.25")
            ),
        )
        assert counts_of(run) == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0}
        order = Order.objects.get()
        assert (order.order_number, order.company, order.contact, order.channel, order.status) == (
            "SO1",
            company,
            None,
            "phone",
            "shipped",
        )
        assert (order.delivery_date, order.total_amount) == (date(2025, 3, 5), Decimal("21.75"))
        assert _lines("SO1") == [(1, "R-1", 10, Decimal("1.50")), (2, "T-2", 3, Decimal("2.25"))]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2025-03-03T09:30:00+01:00", datetime(2025, 3, 3, 8, 30, tzinfo=UTC)),
            ("2025-03-03T09:30:00Z", datetime(2025, 3, 3, 9, 30, tzinfo=UTC)),
            ("2025-03-03 09:30", datetime(2025, 3, 3, 8, 30, tzinfo=UTC)),
            ("2025-07-03T09:30:00", datetime(2025, 7, 3, 7, 30, tzinfo=UTC)),
        ],
    )
    def test_ordered_at_with_an_offset_z_or_no_zone_is_stored_as_utc(self, run_import, shop, settings, text, expected):
        settings.SHOP_TIME_ZONE = "Europe/Amsterdam"
        run_import("orders", csv_text(HEADER, _line("SO1", 1, at=text)))
        assert Order.objects.get().ordered_at == expected

    @pytest.mark.parametrize(
        ("changes", "column", "message"),
        [
            ({"company": "000999"}, "company_erp_id", "no company with ERP id '000999'; import the companies first"),
            ({"sku": "NOPE"}, "sku", "no product with SKU 'NOPE'; import the products first"),
            ({"quantity": "-2"}, "quantity", "must not be negative"),
            ({"price": "-1"}, "unit_price", "must not be negative"),
            (
                {"delivery": "5-3-2025"},
                "delivery_date",
                "'5-3-2025' is not a date; write dates as YYYY-MM-DD, e.g. 2024-12-31",
            ),
            (
                {"channel": "pigeon"},
                "channel",
                "'pigeon' is not allowed; use one of web, phone, email, sales_rep, edi, fax",
            ),
        ],
    )
    def test_one_bad_line_rejects_its_whole_order_only(self, run_import, shop, changes, column, message):
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO1", 2, **changes), _line("SO2", 1)))
        assert errors_of(run) == [(3, column, message)]
        assert counts_of(run) == {"rows": 3, "created": 1, "updated": 0, "unchanged": 0, "failed": 2}
        assert list(Order.objects.values_list("order_number", flat=True)) == ["SO2"]

    def test_a_malformed_ordered_at_is_a_row_error(self, run_import, shop):
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1, at="03/03/2025 09:30")))
        assert errors_of(run)[0][:2] == (2, "ordered_at")
        assert Order.objects.count() == 0

    def test_a_line_number_twice_in_one_order_rejects_the_order(self, run_import, shop):
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO1", 1, sku="T-2")))
        assert errors_of(run) == [(3, "line_no", "this order has this line number twice (first on line 2)")]
        assert Order.objects.count() == 0

    def test_lines_of_one_order_must_agree_on_the_order_columns(self, run_import, shop):
        CompanyFactory(erp_id="000124")
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO1", 2, company="000124")))
        assert errors_of(run) == [(3, "company_erp_id", "differs from the first line of this order (line 2)")]
        assert Order.objects.count() == 0

    def test_later_lines_may_leave_the_order_columns_empty(self, run_import, shop):
        header = "order_number,line_no,company_erp_id,ordered_at,channel,status,sku,quantity,unit_price"
        run = run_import("orders", csv_text(header, f"SO1,1,000123,{AT},web,open,R-1,1,1", "SO1,2,,,,,R-1,1,1"))
        assert errors_of(run) == [
            (3, "company_erp_id", "a value is required"),
            (3, "ordered_at", "a value is required"),
            (3, "channel", "a value is required"),
        ]
        run = run_import(
            "orders", csv_text(header, f"SO1,1,000123,{AT},web,open,R-1,1,1", f"SO1,2,000123,{AT},web,,R-1,1,1")
        )
        assert run.failed == 0
        assert Order.objects.get().status == "open"

    def test_lines_of_an_order_that_are_not_together_are_reported_and_the_first_block_is_applied(
        self, run_import, shop
    ):
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO2", 1), _line("SO1", 2)))
        assert errors_of(run) == [
            (4, "order_number", "the lines of an order must be next to each other; this order started on line 2")
        ]
        assert _lines("SO1") == [(1, "R-1", 10, Decimal("1.50"))]

    def test_an_order_whose_lines_span_a_chunk_boundary_is_imported_whole(self, run_import, shop, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 3
        lines = [
            _line("SO1", 1),
            _line("SO1", 2),
            _line("SO2", 1),
            _line("SO2", 2),
            _line("SO2", 3),
            _line("SO2", 4, quantity="1"),
            _line("SO3", 1),
        ]
        run = run_import("orders", csv_text(HEADER, *lines))
        assert counts_of(run) == {"rows": 7, "created": 7, "updated": 0, "unchanged": 0, "failed": 0}
        assert [line[0] for line in _lines("SO2")] == [1, 2, 3, 4]
        assert Order.objects.get(order_number="SO2").total_amount == Decimal("46.50")

    def test_a_bad_line_in_the_next_chunk_rejects_the_order_started_before(self, run_import, shop, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        run = run_import(
            "orders", csv_text(HEADER, _line("SO1", 1), _line("SO2", 1), _line("SO2", 2, sku="NOPE"), _line("SO3", 1))
        )
        assert errors_of(run) == [(4, "sku", "no product with SKU 'NOPE'; import the products first")]
        assert sorted(Order.objects.values_list("order_number", flat=True)) == ["SO1", "SO3"]

    def test_an_order_that_comes_back_after_the_chunk_it_was_in_is_reported(self, run_import, shop, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO2", 1), _line("SO3", 1), _line("SO1", 2)))
        assert errors_of(run) == [
            (5, "order_number", "the lines of an order must be next to each other; this order started on line 2")
        ]

    def test_importing_the_same_file_again_changes_nothing(self, run_import, shop):
        content = csv_text(
            HEADER, _line("SO1", 1, status="open", delivery="2025-03-05"), _line("SO1", 2), _line("SO2", 1)
        )
        run_import("orders", content)
        again = run_import("orders", content)
        assert counts_of(again) == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "failed": 0}

    def test_reimporting_a_changed_order_replaces_its_lines(self, run_import, shop):
        run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO1", 2), _line("SO1", 3), _line("SO2", 1)))
        run = run_import(
            "orders",
            csv_text(HEADER, _line("SO1", 1, quantity="4", status="cancelled"), _line("SO1", 2), _line("SO2", 1)),
        )
        assert counts_of(run) == {"rows": 3, "created": 0, "updated": 2, "unchanged": 1, "failed": 0}
        order = Order.objects.get(order_number="SO1")
        assert (order.status, order.total_amount) == ("cancelled", Decimal("21.00"))
        assert _lines("SO1") == [(1, "R-1", 4, Decimal("1.50")), (2, "R-1", 10, Decimal("1.50"))]

    def test_a_shop_order_imported_again_keeps_the_columns_the_file_does_not_have(self, run_import, shop):
        company, rose, _tulip = shop
        contact = ContactFactory(company=company)
        order = OrderFactory(order_number="SO1", company=company, contact=contact, channel="web", status="open")
        OrderLineFactory(order=order, line_no=1, product=rose, quantity=1, unit_price=Decimal("1.50"))
        header = "order_number,line_no,company_erp_id,ordered_at,channel,sku,quantity,unit_price"
        run_import("orders", csv_text(header, f"SO1,1,000123,{AT},web,R-1,2,1.50"))
        order.refresh_from_db()
        assert (order.contact, order.status, order.total_amount) == (contact, "open", Decimal("3.00"))

    def test_the_contact_is_linked_only_when_it_belongs_to_the_company(self, run_import, shop):
        company, _rose, _tulip = shop
        ours = ContactFactory(email="anna@tulp.nl", company=company)
        ContactFactory(email="piet@elders.nl", company=CompanyFactory(erp_id="000999"))
        run = run_import(
            "orders",
            csv_text(
                HEADER,
                _line("SO1", 1, email="Anna@Tulp.nl"),
                _line("SO2", 1, email="piet@elders.nl"),
                _line("SO3", 1, email="nobody@x.nl"),
            ),
        )
        assert run.failed == 0
        contacts = dict(Order.objects.values_list("order_number", "contact"))
        assert contacts == {"SO1": ours.pk, "SO2": None, "SO3": None}

    def test_an_invalid_contact_email_is_a_row_error(self, run_import, shop):
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1, email="anna@")))
        assert errors_of(run) == [(2, "contact_email", "'anna@' is not a valid email address")]

    def test_a_decimal_comma_in_a_semicolon_file(self, run_import, shop):
        header = "order_number;line_no;company_erp_id;ordered_at;channel;sku;quantity;unit_price"
        run_import("orders", csv_text(header, f"SO1;1;000123;{AT};edi;R-1;3;1,25"))
        assert Order.objects.get().total_amount == Decimal("3.75")

    def test_a_dry_run_writes_no_order(self, run_import, shop):
        run = run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO1", 2)), dry_run=True)
        assert run.created == 2
        assert Order.objects.count() == 0

    def test_strict_with_a_bad_order_writes_no_order(self, run_import, shop, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        run = run_import(
            "orders", csv_text(HEADER, _line("SO1", 1), _line("SO2", 1), _line("SO3", 1, sku="NOPE")), strict=True
        )
        assert run.status == "failed"
        assert Order.objects.count() == 0


def _json_lines(*records: dict | str) -> str:
    """JSON lines from records (a str is written as it is, e.g. a broken line)."""
    return "".join((record if isinstance(record, str) else json.dumps(record)) + "\n" for record in records)


def _record(number: str, line_no: int, **changes) -> dict:
    record = {
        "order_number": number,
        "line_no": line_no,
        "company_erp_id": "000123",
        "ordered_at": AT,
        "channel": "web",
        "sku": "R-1",
        "quantity": 10,
        "unit_price": "1.50",
    }
    return record | changes


def _stored_orders() -> dict[str, list[int]]:
    """Order number -> its stored line numbers."""
    stored: dict[str, list[int]] = {}
    for number, line_no in OrderLine.objects.order_by("order__order_number", "line_no").values_list(
        "order__order_number", "line_no"
    ):
        stored.setdefault(number, []).append(line_no)
    return stored


@pytest.mark.django_db
class UnreadableOrderLineTests:
    """A line the reader cannot read rejects its whole order, never only itself (docs/erp-import.md)."""

    def test_a_csv_line_with_one_value_too_many_rejects_its_three_line_order(self, run_import, shop):
        content = csv_text(HEADER, _line("SO1", 1), _line("SO1", 2) + ",stray", _line("SO1", 3), _line("SO2", 1))
        run = run_import("orders", content)
        assert errors_of(run) == [(3, "", "the row has more values than the header has columns")]
        assert run.errors[0]["value"] == "stray"
        assert counts_of(run) == {"rows": 4, "created": 1, "updated": 0, "unchanged": 0, "failed": 3}
        assert run.status == "partial"
        assert _stored_orders() == {"SO2": [1]}

    def test_strict_with_a_csv_line_with_one_value_too_many_writes_nothing(self, run_import, shop):
        content = csv_text(HEADER, _line("SO1", 1), _line("SO1", 2) + ",stray", _line("SO1", 3), _line("SO2", 1))
        run = run_import("orders", content, strict=True)
        assert errors_of(run) == [(3, "", "the row has more values than the header has columns")]
        assert counts_of(run) == {"rows": 4, "created": 0, "updated": 0, "unchanged": 0, "failed": 3}
        assert run.status == "failed"
        assert (Order.objects.count(), OrderLine.objects.count()) == (0, 0)

    @pytest.mark.parametrize("strict", [False, True])
    def test_a_json_line_with_a_nested_value_rejects_its_three_line_order(self, run_import, shop, strict):
        content = _json_lines(
            _record("SO1", 1), _record("SO1", 2, quantity=[1, 2]), _record("SO1", 3), _record("SO2", 1)
        )
        run = run_import("orders", content, strict=strict)
        assert errors_of(run) == [(2, "quantity", "must be a single value, not a list or object")]
        assert run.failed == 3
        if strict:
            assert (run.status, run.created, Order.objects.count(), OrderLine.objects.count()) == ("failed", 0, 0, 0)
        else:
            assert (run.status, run.created) == ("partial", 1)
            assert _stored_orders() == {"SO2": [1]}

    def test_a_reimported_order_with_an_unreadable_line_keeps_its_stored_lines(self, run_import, shop):
        run_import("orders", csv_text(HEADER, _line("SO1", 1), _line("SO1", 2), _line("SO1", 3)))
        run = run_import(
            "orders", csv_text(HEADER, _line("SO1", 1, quantity="4"), _line("SO1", 2) + ",x", _line("SO1", 3))
        )
        assert counts_of(run) == {"rows": 3, "created": 0, "updated": 0, "unchanged": 0, "failed": 3}
        assert _lines("SO1") == [(n, "R-1", 10, Decimal("1.50")) for n in (1, 2, 3)]

    def test_an_unreadable_first_line_rejects_the_order_it_starts_in_the_next_chunk(self, run_import, shop, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        content = csv_text(HEADER, _line("SO1", 1), _line("SO2", 1) + ",x", _line("SO2", 2), _line("SO3", 1))
        run = run_import("orders", content)
        assert [error[:2] for error in errors_of(run)] == [(3, "")]
        assert counts_of(run) == {"rows": 4, "created": 2, "updated": 0, "unchanged": 0, "failed": 2}
        assert _stored_orders() == {"SO1": [1], "SO3": [1]}

    def test_an_unreadable_line_of_an_order_of_its_own_rejects_no_other_order(self, run_import, shop):
        content = csv_text(HEADER, _line("SO1", 1), _line("SO2", 1) + ",x", _line("SO3", 1))
        run = run_import("orders", content)
        assert counts_of(run) == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "failed": 1}
        assert _stored_orders() == {"SO1": [1], "SO3": [1]}

    def test_a_value_split_before_the_order_number_still_rejects_the_order(self, run_import, shop):
        # "000,123" without quotes moves the order number one column to the right.
        header = "company_erp_id,order_number,line_no,ordered_at,channel,sku,quantity,unit_price"
        content = csv_text(
            header,
            f"000123,SO1,1,{AT},web,R-1,1,1.50",
            f"000,123,SO1,2,{AT},web,R-1,1,1.50",
            f"000123,SO2,1,{AT},web,R-1,1,1.50",
        )
        run = run_import("orders", content)
        assert [error[:2] for error in errors_of(run)] == [(3, "")]
        assert _stored_orders() == {"SO2": [1]}

    @pytest.mark.parametrize(
        ("unreadable", "first_error"),
        [
            ('{"order_number": "SO1", "line_no": ', (4, "", "the line is not valid JSON")),
            ('["SO1", 3]', (4, "", "the record is not a JSON object")),
            (_record(["SO1"], 3), (4, "order_number", "must be a single value, not a list or object")),
        ],
    )
    def test_a_line_whose_order_number_cannot_be_read_rejects_the_orders_on_both_sides(
        self, run_import, shop, unreadable, first_error
    ):
        content = _json_lines(
            _record("SO0", 1), _record("SO1", 1), _record("SO1", 2), unreadable, _record("SO2", 1), _record("SO3", 1)
        )
        run = run_import("orders", content)
        errors = errors_of(run)
        assert [error[:2] for error in errors] == [first_error[:2], (4, "order_number")]
        assert errors[0][2].startswith(first_error[2])
        assert errors[1][2] == (
            "the order number of this line cannot be read, so the orders next to it are not imported either: "
            "SO1 (line 2), SO2 (line 5)"
        )
        assert counts_of(run) == {"rows": 6, "created": 2, "updated": 0, "unchanged": 0, "failed": 4}
        assert _stored_orders() == {"SO0": [1], "SO3": [1]}

    def test_an_unreadable_last_line_rejects_the_order_above_it(self, run_import, shop, settings):
        settings.ERP_IMPORT_CHUNK_ROWS = 2
        run = run_import("orders", _json_lines(_record("SO1", 1), _record("SO2", 1), _record("SO2", 2), "{oops"))
        assert [error[:2] for error in errors_of(run)] == [(4, ""), (4, "order_number")]
        assert counts_of(run) == {"rows": 4, "created": 1, "updated": 0, "unchanged": 0, "failed": 3}
        assert _stored_orders() == {"SO1": [1]}
