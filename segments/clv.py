"""Customer lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model.

Fader, Hardie and Lee (2005) for BG/NBD; Fader, Hardie and Lee (2005b) / Colombo and
Jiang (1999) for Gamma-Gamma. Both are fitted by maximum likelihood with scipy
(Nelder-Mead on log-parameters, so that every parameter stays positive), vectorised
over customers with numpy. Time is in weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

WEEKS_PER_YEAR = 365.25 / 7


@dataclass(frozen=True)
class BgNbdParameters:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParameters:
    p: float
    q: float
    v: float


def _fit(objective, start: np.ndarray) -> np.ndarray:
    result = minimize(
        objective, np.log(start), method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20_000, "maxfev": 20_000},
    )
    return np.exp(result.x)


def bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.where(repeat, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def bgnbd_fit(*, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray) -> BgNbdParameters:
    """Fit on repeat purchases x, time of the last purchase t_x and the customer's age T (weeks)."""
    x, t_x, T = (np.asarray(values, dtype=float) for values in (frequency, recency, age))

    def negative(log_params: np.ndarray) -> float:
        value = -bgnbd_log_likelihood(np.exp(log_params), x, t_x, T)
        return value if np.isfinite(value) else 1e300

    r, alpha, a, b = _fit(negative, np.array([1.0, 1.0, 1.0, 1.0]))
    return BgNbdParameters(r=r, alpha=alpha, a=a, b=b)


def bgnbd_expected_purchases(
    params: BgNbdParameters, *, weeks: float, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """E[purchases in the next `weeks` | x, t_x, T] per customer."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(values, dtype=float) for values in (frequency, recency, age))
    z = weeks / (alpha + T + weeks)
    hyper = hyp2f1(r + x, b + x, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + weeks)) ** (r + x) * hyper)
    denominator = 1 + np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return numerator / denominator


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> float:
    p, q, v = params
    return float(
        np.sum(
            gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
            + (p * x - 1) * np.log(m) + (p * x) * np.log(x) - (p * x + q) * np.log(x * m + v)
        )
    )


def gamma_gamma_fit(*, frequency: np.ndarray, monetary: np.ndarray) -> GammaGammaParameters:
    """Fit on customers with repeat purchases: x > 0 and their mean spend per purchase."""
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]

    def negative(log_params: np.ndarray) -> float:
        value = -gamma_gamma_log_likelihood(np.exp(log_params), x, m)
        return value if np.isfinite(value) else 1e300

    p, q, v = _fit(negative, np.array([1.0, 1.0, 1.0]))
    return GammaGammaParameters(p=p, q=q, v=v)


def gamma_gamma_expected_spend(
    params: GammaGammaParameters, *, frequency: np.ndarray, monetary: np.ndarray, population_mean: float
) -> np.ndarray:
    """E[spend per purchase | x, mean spend]; customers without repeat purchases get the population mean."""
    p, q, v = params.p, params.q, params.v
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    conditional = (p * (v + x * m)) / (p * x + q - 1)
    return np.where(x > 0, conditional, population_mean)
