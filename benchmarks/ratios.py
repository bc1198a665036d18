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
)


def main(path: Path) -> None:
    benchmarks = json.loads(path.read_text())["benchmarks"]
    medians = {(b["extra_info"]["backend"], b["extra_info"]["path"]): b["stats"]["median"] for b in benchmarks}
    print(f"{'backend':<11} {'path':<22} {'median ms':>10}   {'vs':<22} {'median ms':>10}  {'ratio':>6}")
    for backend in sorted({backend for backend, _ in medians}):
        for measured, baseline in PAIRS:
            if (backend, measured) in medians and (backend, baseline) in medians:
                a, b = medians[backend, measured], medians[backend, baseline]
                print(
                    f"{backend:<11} {measured:<22} {a * 1000:>10.2f}   {baseline:<22} {b * 1000:>10.2f}  {a / b:>5.2f}x"
                )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/repository.json"))
