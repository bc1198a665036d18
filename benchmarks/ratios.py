"""Print benchmark pairs as ratios of their medians, each pair measured in the same run.

.venv/bin/python benchmarks/ratios.py benchmarks/results/repository.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    for b in benchmarks:
        info = b["extra_info"]
        if "checks_per_second" in info:
            print(f"{info['backend']}: {info['path']}: {info['checks_per_second']} checks/s")
        elif info["path"] == "get" or info["path"].startswith(("invalidate_tags", "upsert")):
            print(f"{info['backend']}: {info['path']}: {b['stats']['median'] * 1000:.2f} ms")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/repository.json"))
