"""The base demand model of docs/pricing-model.md in NumPy: the reference
the pricing benchmark (benches/pricing.rs) times ours against.

Reads the model as JSON (per variant: lambda, elasticity, p0, price, cost,
stock (-1: not tracked), dispersion (-1: Poisson); the weekday factors;
days, paths, seed), simulates Poisson daily demand (times a Gamma(k, 1/k)
multiplier per path and week for an overdispersed variant) capped by the
remaining stock over every path at once,
and prints {"seconds": best of 3, "units_mean": mean shop units}.
"""

import json
import sys
import time

import numpy as np


def simulate(m, rng):
    lam = np.asarray(m["lambda"], dtype=np.float64)
    eps = np.asarray(m["elasticity"], dtype=np.float64)
    p0 = np.asarray(m["p0"], dtype=np.float64)
    price = np.asarray(m["price"], dtype=np.float64)
    cost = np.asarray(m["cost"], dtype=np.float64)
    stock = np.asarray(m["stock"], dtype=np.int64)
    weekday = np.asarray(m["weekday"], dtype=np.float64)
    k = np.asarray(m["dispersion"], dtype=np.float64)
    spread = k > 0
    shape = np.where(spread, k, 1.0)
    days, paths, first = m["days"], m["paths"], m["first_weekday"]

    ratio = np.where((p0 > 0) & (price > 0), price / np.where(p0 > 0, p0, 1.0), 1.0)
    rate = np.where(price > 0, lam * ratio**eps, 0.0)
    left = np.where(stock < 0, np.iinfo(np.int64).max, stock)
    left = np.broadcast_to(left, (paths, rate.size)).copy()
    units = np.zeros((paths, rate.size), dtype=np.int64)
    shop_by_day = np.zeros((days, paths))
    for d in range(days):
        if d % 7 == 0:
            # An overdispersed item's week: a Gamma(k, 1/k) multiplier per
            # path, as ours draws it.
            shock = np.where(spread, rng.gamma(shape, 1.0 / shape, size=(paths, rate.size)), 1.0)
        demand = rng.poisson(rate * weekday[(first + d) % 7] * shock)
        sold = np.minimum(demand, left)
        left -= sold
        units += sold
        shop_by_day[d] = sold.sum(axis=1)
    revenue = units * price
    profit = units * (price - cost)
    per_path = units.sum(axis=1)
    # The same summaries ours computes: per-variant and shop quantiles,
    # stock-out probability, the cumulative fan by day.
    np.percentile(units, [10, 50, 90], axis=0)
    np.percentile(revenue.sum(axis=1), [10, 50, 90])
    np.percentile(profit.sum(axis=1), [10, 50, 90])
    (left == 0).mean(axis=0)
    np.percentile(np.cumsum(shop_by_day, axis=0), [10, 50, 90], axis=1)
    return per_path.mean()


def main():
    with open(sys.argv[1]) as f:
        m = json.load(f)
    best = float("inf")
    units = None
    for _ in range(3):
        rng = np.random.default_rng(m["seed"])
        t = time.perf_counter()
        units = simulate(m, rng)
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"seconds": best, "units_mean": float(units)}))


if __name__ == "__main__":
    main()
