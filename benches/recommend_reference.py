"""Reference recommenders on the shop's own hold-out, read from a Merchant
Desk store: popularity, implicit ALS (PyPI `implicit`) and association rules
(PyPI `efficient-apriori`, the best confidence of a rule whose left side is
in the basket), on exactly the hold-out of src/recommend/evaluate.rs: the
baskets (orders not cancelled, distinct merchandise products) oldest first,
the first 80 % to train on (or their last N), one item hidden in each later
basket of two or more items by SplitMix64 from seed 42, ties ranked by how
often bought, then by product id. Prints one JSON object.

With `--bundles MIN_ORDERS` it mines instead every frequent pair and
triple of all the baskets (in MIN_ORDERS baskets or more) with
`efficient-apriori`, as `merchant-desk bundle suggest` does, and prints
their counts and the time taken.

Usage: recommend_reference.py DB [--last N] [--factors F]
       recommend_reference.py DB --bundles MIN_ORDERS
"""

import argparse
import json
import math
import sqlite3
import time

import numpy as np
import scipy.sparse as sp

MASK = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def read_baskets(db):
    conn = sqlite3.connect(db)
    merch = dict(conn.execute(
        "SELECT v.id, v.product_id FROM variants v JOIN products p ON p.id = v.product_id "
        "WHERE p.kind = 'merchandise'"))
    orders = [r[0] for r in conn.execute(
        "SELECT id FROM orders WHERE status != 'cancelled' ORDER BY placed_at, id")]
    items = {o: set() for o in orders}
    for order, variant in conn.execute("SELECT order_id, variant_id FROM order_lines"):
        if order in items and variant in merch:
            items[order].add(merch[variant])
    baskets = [items[o] for o in orders if items[o]]
    products = sorted(set().union(*baskets))
    index = {p: i for i, p in enumerate(products)}
    return [sorted(index[p] for p in b) for b in baskets], len(products)


def held_out(baskets, seed):
    out = []
    for b in baskets:
        if len(b) >= 2:
            seed, r = splitmix(seed)
            out.append((b, b[r % len(b)]))
    return out


def rank_of(item, scores, support, rest, k=10):
    """Where `item` ranks among the k best (score, then support, then the
    lower id), leaving out `rest`; None past k."""
    s, p = scores[item], support[item]
    ahead = (scores > s) | ((scores == s) & ((support > p) | ((support == p) & (np.arange(len(scores)) < item))))
    ahead[item] = False
    ahead[rest] = False
    n = int(ahead.sum())
    return n if n < k else None


def measure(tests, support, score):
    hits = gain = 0.0
    for basket, hidden in tests:
        rest = [i for i in basket if i != hidden]
        r = rank_of(hidden, score(rest), support, rest)
        if r is not None:
            hits += 1
            gain += 1 / math.log2(2 + r)
    n = max(len(tests), 1)
    return round(hits / n, 4), round(gain / n, 4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--last", type=int)
    ap.add_argument("--factors", type=int, default=256)
    ap.add_argument("--min-support", type=float, default=0.002)
    ap.add_argument("--bundles", type=int)
    a = ap.parse_args()
    baskets, n = read_baskets(a.db)
    if a.bundles:
        from efficient_apriori import itemsets_from_transactions as itemsets
        t = time.perf_counter()
        # Half an order below the count, so "in MIN_ORDERS or more" exactly.
        found, _ = itemsets([tuple(b) for b in baskets], min_support=(a.bundles - 0.5) / len(baskets),
                            max_length=3)
        took = time.perf_counter() - t
        print(json.dumps({"baskets": len(baskets), "min_orders": a.bundles, "seconds": round(took, 3),
                          "items": len(found.get(1, {})), "pairs": len(found.get(2, {})),
                          "triples": len(found.get(3, {}))}))
        return
    cut = int(len(baskets) * 0.8)
    start = max(0, cut - a.last) if a.last else 0
    train = baskets[start:cut]
    tests = held_out(baskets[cut:], 42)
    support = np.zeros(n, dtype=np.int64)
    for b in train:
        support[b] += 1
    out = {"orders": len(baskets), "training": len(train), "test_baskets": len(tests), "methods": []}

    zero = np.zeros(n, dtype=np.float32)
    hr, ndcg = measure(tests, support, lambda rest: zero)
    out["methods"].append({"name": "popularity", "hr_at_10": hr, "ndcg_at_10": ndcg, "fit_seconds": 0.0})

    # Implicit ALS: baskets as users, each new basket folded in.
    import implicit
    from threadpoolctl import threadpool_limits
    rows = [r for r, b in enumerate(train) for _ in b]
    cols = [i for b in train for i in b]
    x = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(train), n))
    with threadpool_limits(1, "blas"):
        model = implicit.cpu.als.AlternatingLeastSquares(factors=a.factors, iterations=15, random_state=42)
        t = time.perf_counter()
        model.fit(x, show_progress=False)
        fit = time.perf_counter() - t

        def als(rest):
            user = sp.csr_matrix((np.ones(len(rest), dtype=np.float32), ([0] * len(rest), rest)), shape=(1, n))
            ids, scores = model.recommend(0, user, N=n, recalculate_user=True, filter_already_liked_items=False)
            s = np.full(n, -np.inf, dtype=np.float32)
            s[ids] = scores
            return s

        hr, ndcg = measure(tests, support, als)
    out["methods"].append({"name": f"ALS ({a.factors} factors)", "hr_at_10": hr, "ndcg_at_10": ndcg,
                           "fit_seconds": round(fit, 3)})

    # Association rules: one item on the left, the best confidence wins.
    from efficient_apriori import apriori
    t = time.perf_counter()
    _, rules = apriori([tuple(b) for b in train], min_support=a.min_support, min_confidence=0.01, max_length=2)
    fit = time.perf_counter() - t
    by_left = {}
    for r in rules:
        if len(r.lhs) == 1:
            by_left.setdefault(r.lhs[0], []).append((r.rhs[0], r.confidence))

    def rules_score(rest):
        s = np.zeros(n, dtype=np.float32)
        for i in rest:
            for j, c in by_left.get(i, ()):
                if c > s[j]:
                    s[j] = c
        return s

    hr, ndcg = measure(tests, support, rules_score)
    out["methods"].append({"name": f"association rules (support ≥ {a.min_support})", "hr_at_10": hr,
                           "ndcg_at_10": ndcg, "fit_seconds": round(fit, 3), "rules": len(rules)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
