"""Directory lookups per second over the seed directory, on one core.

    .venv/bin/python bench/lookup.py [--rounds N]

The lookup runs on every drafted reply, so it must stay far below a millisecond.
"""

from __future__ import annotations

import argparse
import time

from concierge.directory.lookup import URGENCIES, lookup
from concierge.directory.records import country_codes
from concierge.directory.seed import load_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    records = load_seed()
    print(f"seed load: {time.perf_counter() - started:.2f} s, {len(records)} resources")
    countries = [*sorted(country_codes()), None]
    queries = [(c, "en", u) for c in countries for u in URGENCIES]
    best = float("inf")
    for _ in range(args.rounds):
        started = time.perf_counter()
        for country, language, urgency in queries:
            lookup(records, country, language, urgency, ("touring",))
        best = min(best, time.perf_counter() - started)
    print(
        f"lookups: {len(queries)} in {best:.3f} s (best of {args.rounds}): "
        f"{len(queries) / best:,.0f} per second, {best / len(queries) * 1e6:.0f} µs each"
    )


if __name__ == "__main__":
    main()
