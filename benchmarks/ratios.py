"""Print benchmark pairs as ratios of their medians, each pair measured in the same run.

.venv/bin/python benchmarks/ratios.py benchmarks/results/repository.json
.venv/bin/python benchmarks/ratios.py benchmarks/results/middleware.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# (measured, baseline): the ratio says how many times the first costs the second.
PAIRS = (
    ("cursor page 500", "cursor page 1"),
    ("offset page 500", "offset page 1"),
    ("offset page 500", "cursor page 500"),
    ("1000 creates", "1 bulk_create of 1000"),
    ("upsert, existing key", "upsert, new key"),
    ("no cache", "cache hit"),
    ("cache miss", "no cache"),
    ("100 gets", "get_many of 100"),
    ("1000 rate-limit checks, sequential", "1000 rate-limit checks, concurrent"),
)


def main(path: Path) -> None:
    benchmarks = json.loads(path.read_text())["benchmarks"]
    medians = {(b["extra_info"]["backend"], b["extra_info"]["path"]): b["stats"]["median"] for b in benchmarks}
    print(f"{'backend':<17} {'path':<36} {'median ms':>10}   {'vs':<36} {'median ms':>10}  {'ratio':>6}")
    for backend in sorted({backend for backend, _ in medians}):
        for measured, baseline in PAIRS:
            if (backend, measured) in medians and (backend, baseline) in medians:
                a, b = medians[backend, measured], medians[backend, baseline]
                print(
                    f"{backend:<17} {measured:<36} {a * 1000:>10.2f}   {baseline:<36} {b * 1000:>10.2f}  {a / b:>5.2f}x"
                )
    _middleware(benchmarks)
    for b in benchmarks:
        info = b["extra_info"]
        if "batch" in info:
            continue
        if "checks_per_second" in info:
            print(f"{info['backend']}: {info['path']}: {info['checks_per_second']} checks/s")
        elif info["path"] == "get" or info["path"].startswith(("invalidate_tags", "upsert")):
            print(f"{info['backend']}: {info['path']}: {b['stats']['median'] * 1000:.2f} ms")


# Issue 12: the full middleware stack within 0.15 ms a request and 50% of the bare app.
STACK_BUDGET_MS = 0.15
STACK_BUDGET_SHARE = 0.5


def _middleware(benchmarks: list[dict[str, Any]]) -> None:
    """test_middleware_stack.py: microseconds per request, and each variant over the bare app.

    The fastest round of each, not the median: differences of a few microseconds drown in a shared machine's
    noise, which only ever adds time.
    """
    per_request = {
        b["extra_info"]["path"]: b["stats"]["min"] / b["extra_info"]["batch"]
        for b in benchmarks
        if "batch" in b["extra_info"]
    }
    bare = per_request.get("bare")
    if bare is None:
        return
    print(f"\n{'middleware variant':<36} {'us/request':>10}  {'over bare':>10}  {'share':>6}")
    for path, seconds in sorted(per_request.items(), key=lambda item: item[1]):
        print(f"{path:<36} {seconds * 1e6:>10.1f}  {(seconds - bare) * 1e6:>+10.1f}  {(seconds - bare) / bare:>6.0%}")
    if (full := per_request.get("full stack")) is not None:
        over_ms, share = (full - bare) * 1000, (full - bare) / bare
        met = "met" if over_ms <= STACK_BUDGET_MS and share <= STACK_BUDGET_SHARE else "NOT met"
        print(
            f"full stack: +{over_ms:.3f} ms a request over the bare app ({share:.0%}); "
            f"budget <= {STACK_BUDGET_MS} ms and <= {STACK_BUDGET_SHARE:.0%}: {met}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/repository.json"))
