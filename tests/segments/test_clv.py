from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segments.clv import (
    BgNbdParameters,
    bgnbd_expected_purchases,
    bgnbd_fit,
    bgnbd_log_likelihood,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow"


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def with_spend() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")


class BgNbdFitTests:
    def test_cdnow_fit_recovers_the_published_parameters(self, summary):
        assert len(summary) == 2357
        params = bgnbd_fit(frequency=summary["frequency"], recency=summary["recency"], age=summary["T"])
        assert round(params.r, 2) == 0.24
        assert round(params.alpha, 2) == 4.41
        assert round(params.a, 2) == 0.79
        assert round(params.b, 2) == 2.43
        assert params.r == pytest.approx(0.2426, abs=5e-3)
        assert params.alpha == pytest.approx(4.4135, abs=5e-3)
        assert params.a == pytest.approx(0.7929, abs=5e-3)
        assert params.b == pytest.approx(2.4258, abs=5e-3)

    def test_log_likelihood_at_the_published_parameters(self, summary):
        value = bgnbd_log_likelihood(
            np.array([0.2426, 4.4135, 0.7929, 2.4258]),
            summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float),
        )
        assert value == pytest.approx(-9582.43, abs=0.05)

    def test_expected_purchases_grow_with_frequency_and_shrink_with_lapsed_recency(self):
        params = BgNbdParameters(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)
        frequent, rare = bgnbd_expected_purchases(
            params, weeks=52, frequency=np.array([10, 1]), recency=np.array([38.0, 38.0]), age=np.array([39.0, 39.0])
        )
        active, lapsed = bgnbd_expected_purchases(
            params, weeks=52, frequency=np.array([5, 5]), recency=np.array([38.0, 5.0]), age=np.array([39.0, 39.0])
        )
        assert frequent > rare > 0
        assert active > lapsed > 0


class GammaGammaFitTests:
    def test_cdnow_fit_recovers_the_published_parameters(self, with_spend):
        params = gamma_gamma_fit(frequency=with_spend["x"], monetary=with_spend["zbar"])
        assert round(params.p, 2) == 6.25
        assert round(params.q, 2) == 3.74
        assert round(params.v, 2) == 15.45
        assert params.p == pytest.approx(6.2488, abs=5e-3)
        assert params.q == pytest.approx(3.7446, abs=5e-3)
        assert params.v == pytest.approx(15.4477, abs=5e-3)

    def test_customers_without_repeat_purchases_get_the_population_mean(self, with_spend):
        params = gamma_gamma_fit(frequency=with_spend["x"], monetary=with_spend["zbar"])
        spend = gamma_gamma_expected_spend(
            params, frequency=np.array([0, 3]), monetary=np.array([0.0, 40.0]), population_mean=12.5
        )
        assert spend[0] == 12.5
        assert 15 < spend[1] < 40  # shrunk from the customer's own mean towards the population
