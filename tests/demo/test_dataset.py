"""The synthetic dataset generator: determinism, sizes and the variety the segment engine needs."""

from datetime import date, timedelta

import pandas as pd
import pytest

from b2bshop.demo.dataset import (
    CHANNELS,
    DEMO_BUYER_EMAIL,
    DEMO_COMPANY_ADMIN_EMAIL,
    ERP_ENTITIES,
    SIZES,
    DatasetSpec,
    dataset_generate,
)

TODAY = date(2025, 6, 15)
TINY = DatasetSpec(companies=20, contacts=60, order_lines=500, seed=42)


def _read(directory, name: str) -> pd.DataFrame:
    return pd.read_csv(directory / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The standard small dataset, generated once for the distribution tests."""
    directory = tmp_path_factory.mktemp("small")
    files = dataset_generate(spec=SIZES["small"], out_dir=directory, today=TODAY)
    frames = {name: _read(directory, f"{name}.csv") for name in (*ERP_ENTITIES, "web_accounts", "web_carts")}
    return files, frames


def _orders(frames) -> pd.DataFrame:
    return frames["orders"].drop_duplicates("order_number")


def _revenue_by_company(frames) -> pd.Series:
    lines = frames["orders"][frames["orders"]["status"] != "cancelled"]
    value = lines["quantity"].astype(int) * lines["unit_price"].astype(float)
    revenue = value.groupby(lines["company_erp_id"]).sum()
    return revenue.reindex(frames["companies"]["erp_id"], fill_value=0.0).sort_values(ascending=False)


class DatasetDeterminismTests:
    def test_same_seed_and_day_write_byte_identical_files(self, tmp_path):
        first = dataset_generate(spec=TINY, out_dir=tmp_path / "a", today=TODAY)
        second = dataset_generate(spec=TINY, out_dir=tmp_path / "b", today=TODAY)
        names = sorted(path.name for path in first.directory.iterdir())
        assert names == sorted(path.name for path in second.directory.iterdir())
        assert len(names) == 8
        for name in names:
            assert (first.directory / name).read_bytes() == (second.directory / name).read_bytes(), name

    def test_another_seed_writes_other_customers_and_orders(self, tmp_path):
        first = dataset_generate(spec=TINY, out_dir=tmp_path / "a", today=TODAY)
        other = dataset_generate(
            spec=DatasetSpec(companies=20, contacts=60, order_lines=500, seed=7), out_dir=tmp_path / "b", today=TODAY
        )
        for name in ("companies.csv", "contacts.csv", "orders.csv", "web_accounts.csv"):
            assert (first.directory / name).read_bytes() != (other.directory / name).read_bytes(), name

    def test_erp_files_are_listed_in_load_order(self, tmp_path):
        files = dataset_generate(spec=TINY, out_dir=tmp_path, today=TODAY)
        assert list(files.erp_files) == ["categories", "companies", "contacts", "products", "prices", "orders"]


class DatasetSizeTests:
    @pytest.mark.parametrize(
        "spec",
        [
            TINY,
            DatasetSpec(companies=3, contacts=1, order_lines=7, seed=1),
            DatasetSpec(companies=10, contacts=0, order_lines=100),
            DatasetSpec(companies=50, contacts=200, order_lines=0),
        ],
    )
    def test_counts_are_exactly_as_asked(self, tmp_path, spec):
        files = dataset_generate(spec=spec, out_dir=tmp_path, today=TODAY)
        assert len(_read(tmp_path, "companies.csv")) == spec.companies
        assert len(_read(tmp_path, "contacts.csv")) == spec.contacts
        assert len(_read(tmp_path, "orders.csv")) == spec.order_lines
        assert len(_read(tmp_path, "web_accounts.csv")) == spec.contacts
        assert files.stats.order_lines == spec.order_lines

    def test_standard_sizes(self):
        assert SIZES["small"] == DatasetSpec(companies=200, contacts=1_000, order_lines=10_000)
        assert SIZES["large"] == DatasetSpec(companies=20_000, contacts=100_000, order_lines=1_000_000)

    def test_keys_are_unique(self, small):
        _files, frames = small
        assert frames["companies"]["erp_id"].is_unique
        assert frames["contacts"]["email"].is_unique
        assert frames["products"]["sku"].is_unique
        assert not frames["orders"].duplicated(["order_number", "line_no"]).any()

    def test_lines_of_an_order_are_together_and_numbered_from_one(self, small):
        _files, frames = small
        orders = frames["orders"]
        runs = (orders["order_number"] != orders["order_number"].shift()).cumsum()
        assert runs.groupby(orders["order_number"]).nunique().max() == 1
        line_no = orders["line_no"].astype(int)
        assert (line_no.groupby(orders["order_number"]).min() == 1).all()
        assert (line_no.groupby(orders["order_number"]).max() == orders.groupby("order_number").size()).all()


class DatasetDistributionTests:
    def test_revenue_is_pareto_skewed(self, small):
        _files, frames = small
        revenue = _revenue_by_company(frames)
        top = revenue.iloc[: len(revenue) // 5].sum()
        assert top / revenue.sum() > 0.5
        assert revenue.iloc[0] / revenue.sum() < 0.25  # no single customer dominates

    def test_order_counts_are_skewed(self, small):
        _files, frames = small
        counts = _orders(frames).groupby("company_erp_id").size()
        assert counts.max() >= 5 * counts.median()

    def test_about_fifteen_percent_of_companies_never_ordered(self, small):
        _files, frames = small
        ordered = frames["companies"]["erp_id"].isin(frames["orders"]["company_erp_id"])
        assert 0.10 <= 1 - ordered.mean() <= 0.20
        prospects = frames["companies"]["account_type"] == "prospect"
        assert prospects.any()
        assert not ordered[prospects].any()

    def test_every_channel_with_web_largest_and_growing(self, small):
        _files, frames = small
        orders = _orders(frames)
        shares = orders["channel"].value_counts(normalize=True)
        assert set(shares.index) == set(CHANNELS)
        assert shares.idxmax() == "web"
        first_year = orders[orders["ordered_at"] < (TODAY - timedelta(days=365)).isoformat()]
        last_year = orders[orders["ordered_at"] >= (TODAY - timedelta(days=365)).isoformat()]
        assert (last_year["channel"] == "web").mean() > (first_year["channel"] == "web").mean() + 0.1

    def test_about_three_percent_cancelled_and_some_open(self, small):
        _files, frames = small
        status = _orders(frames)["status"].value_counts(normalize=True)
        assert 0.02 <= status["cancelled"] <= 0.04
        assert status["open"] > 0
        open_orders = _orders(frames)[_orders(frames)["status"] == "open"]
        assert (open_orders["delivery_date"] >= TODAY.isoformat()).all()

    def test_orders_span_two_years_up_to_yesterday(self, small):
        _files, frames = small
        ordered_at = pd.to_datetime(frames["orders"]["ordered_at"])
        assert ordered_at.min().date() <= TODAY - timedelta(days=700)
        assert TODAY - timedelta(days=3) <= ordered_at.max().date() < TODAY

    def test_valentine_mothers_day_and_christmas_are_peaks(self, small):
        _files, frames = small
        orders = _orders(frames)
        month = pd.to_datetime(orders["ordered_at"]).dt.month
        per_month = month.value_counts()
        summer = (per_month[7] + per_month[8]) / 2
        for peak in (2, 5, 12):
            assert per_month[peak] > 1.4 * summer, peak

    def test_seasonal_products_are_only_delivered_in_season(self, small):
        _files, frames = small
        tulips = frames["orders"][frames["orders"]["sku"].str.startswith("TUL-")]
        months = pd.to_datetime(tulips["delivery_date"]).dt.month
        assert len(tulips) > 0
        assert months.isin([12, 1, 2, 3, 4]).all()
        peonies = frames["products"][frames["products"]["sku"].str.startswith("PEO-")]
        assert (peonies["available_from"] == "2025-05-01").all()
        assert (peonies["available_until"] == "2025-06-30").all()

    def test_companies_have_nulls_attributes_and_variety(self, small):
        _files, frames = small
        companies = frames["companies"]
        for column in ("region", "sector", "employee_count", "attr.loyalty_tier", "attr.greenhouse_m2"):
            assert (companies[column] == "").any(), column
            assert (companies[column] != "").any(), column
        assert {"customer", "prospect", "dealer"} <= set(companies["account_type"])
        assert (companies["blocked"] == "true").any()
        assert {"NL", "BE", "DE", "FR", "DK", "GB"} <= set(companies["country"])
        assert set(companies["transit_days"].astype(int)) <= {1, 2, 3}
        assert {"", "tue,fri", "mon,wed,fri"} <= set(companies["departure_weekdays"])
        assert companies["country"].value_counts().index[0] == "NL"

    def test_contacts_speak_their_country_language_and_six_in_ten_consent(self, small):
        _files, frames = small
        contacts = frames["contacts"].merge(
            frames["companies"][["erp_id", "country"]], left_on="company_erp_id", right_on="erp_id"
        )
        german = contacts[contacts["country"] == "DE"]["language"].value_counts(normalize=True)
        assert german["de"] > 0.85
        dutch = contacts[contacts["country"] == "NL"]["language"].value_counts(normalize=True)
        assert dutch["nl"] > 0.85
        assert 0.5 <= (frames["contacts"]["marketing_consent"] == "true").mean() <= 0.7
        assert {"buyer", "purchasing_manager", "decision_maker", "finance", "user", "admin"} <= set(
            frames["contacts"]["role"]
        )

    def test_a_quarter_never_logged_in_and_web_buyers_did(self, small):
        _files, frames = small
        accounts = frames["web_accounts"]
        never = accounts[accounts["last_login"] == ""]["email"]
        assert 0.2 <= len(never) / len(accounts) <= 0.3
        web_buyers = set(frames["orders"][frames["orders"]["channel"] == "web"]["contact_email"])
        assert "" not in web_buyers
        assert not web_buyers & set(never)
        logged_in = accounts[accounts["last_login"] != ""]
        assert (logged_in["date_joined"] <= logged_in["last_login"]).all()
        assert (logged_in["last_login"] < "2025-06-15").all()

    def test_a_fifth_has_an_open_cart_some_abandoned(self, small):
        _files, frames = small
        carts = frames["web_carts"]
        assert 0.15 <= carts["email"].nunique() / len(frames["contacts"]) <= 0.25
        last_added = pd.to_datetime(carts.groupby("email")["added_at"].max())
        reference = pd.Timestamp("2025-06-14T22:00:00Z")
        assert (last_added < reference - pd.Timedelta(days=3)).any()
        assert (last_added > reference - pd.Timedelta(days=3)).any()
        assert not carts.duplicated(["email", "sku"]).any()
        never = set(frames["web_accounts"][frames["web_accounts"]["last_login"] == ""]["email"])
        assert not never & set(carts["email"])

    def test_demo_logins_belong_to_the_first_company(self, small):
        _files, frames = small
        contacts = frames["contacts"].set_index("email")
        assert contacts.loc[DEMO_BUYER_EMAIL, "company_erp_id"] == "000001"
        assert contacts.loc[DEMO_COMPANY_ADMIN_EMAIL, "company_erp_id"] == "000001"
        assert DEMO_BUYER_EMAIL in set(frames["web_carts"]["email"])
        assert DEMO_BUYER_EMAIL in set(frames["orders"]["contact_email"])


class TinyDatasetVarietyTests:
    def test_a_tiny_dataset_still_has_every_kind_of_row(self, tmp_path):
        dataset_generate(spec=TINY, out_dir=tmp_path, today=TODAY)
        orders = _read(tmp_path, "orders.csv").drop_duplicates("order_number")
        companies = _read(tmp_path, "companies.csv")
        accounts = _read(tmp_path, "web_accounts.csv")
        assert set(orders["channel"]) == set(CHANNELS)
        assert {"cancelled", "open", "shipped"} <= set(orders["status"])
        assert (accounts["last_login"] == "").any()
        assert not companies["erp_id"].isin(orders["company_erp_id"]).all()
        assert (companies["account_type"] == "prospect").any()
        assert (companies["blocked"] == "true").any()
        assert len(_read(tmp_path, "web_carts.csv")) > 0
