"""Print the fixture-overhead benchmark as ms per test and ratios (reads pytest-benchmark's JSON).

What ``make bench`` runs, from the project root (pyproject's addopts block pytest-benchmark; ``-p benchmark``
on the command line lifts the block)::

    .venv/bin/pytest benchmarks -p benchmark -p no:cacheprovider --benchmark-only \\
        --benchmark-json=benchmarks/results/fixture_overhead.json \\
    && .venv/bin/python benchmarks/report.py benchmarks/results/fixture_overhead.json

Columns, per backend; each variant is compared with the baseline on the same loop scope:

- ``run s``: one inner run of N tests, whole (start-up, collection, database creation, tests, teardown);
- ``ms/test``: that divided by N; ``overhead``: minus the baseline's, per test;
- ``in-test``: the tests' own setup + call + teardown per test (first and last test left out: they carry the
  session fixtures), and its ``overhead`` over the baseline: the steady-state cost of one more test;
- ``x db_session``: the naive fixture's whole-run overhead as a multiple of db_session's (the issue's ratio).

Run times are the minimum over rounds by default (``--stat``), in-test times always: on a shared machine noise
only ever adds time.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DEFAULT_JSON = Path(__file__).parent / "results" / "fixture_overhead.json"
TARGET_MS = {"sqlite": 1.0, "postgresql": 2.0}
VARIANT_ORDER = (
    "baseline",
    "db_session_noop",
    "db_session",
    "naive",
    "baseline+session_loop",
    "db_session_noop+session_loop",
    "db_session+session_loop",
)
COLUMNS = ("backend", "variant", "run s", "ms/test", "overhead", "in-test", "overhead", "x db_session")


def _rows(data: dict[str, Any], stat: str) -> dict[tuple[str, str], dict[str, float]]:
    rows = {}
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        rows[(info["backend"], info["variant"])] = {
            "run": bench["stats"][stat],
            "n": info["n_tests"],
            "in_test": info["in_test_ms_per_test"],
            "session_ms": info["session_setup_ms"] + info["session_teardown_ms"],
        }
    return rows


def _baseline_of(variant: str) -> str:
    return "baseline+session_loop" if variant.endswith("+session_loop") else "baseline"


def _db_session_of(variant: str) -> str:
    return "db_session+session_loop" if variant.endswith("+session_loop") else "db_session"


def _overheads(rows: dict[tuple[str, str], dict[str, float]]) -> dict[tuple[str, str], tuple[float, float]]:
    """(whole-run, in-test) overhead in ms per test over the same loop scope's baseline."""
    result = {}
    for (backend, variant), row in rows.items():
        base = rows.get((backend, _baseline_of(variant)))
        if base is not None:
            result[(backend, variant)] = (
                (row["run"] - base["run"]) * 1000 / row["n"],
                row["in_test"] - base["in_test"],
            )
    return result


def table(data: dict[str, Any], stat: str = "min") -> str:
    rows = _rows(data, stat)
    overheads = _overheads(rows)
    lines = []
    for (backend, variant), row in sorted(
        rows.items(), key=lambda item: (item[0][0] != "sqlite", VARIANT_ORDER.index(item[0][1]))
    ):
        over = overheads.get((backend, variant))
        reference = overheads.get((backend, _db_session_of(variant)))
        multiple = ""
        if variant == "naive" and over and reference:
            multiple = f"{over[0] / reference[0]:.1f}x" if reference[0] > 0 else "n/a"
        lines.append(
            (
                backend,
                variant,
                f"{row['run']:.3f}",
                f"{row['run'] * 1000 / row['n']:.2f}",
                f"{over[0]:+.2f}" if over and not variant.startswith("baseline") else "",
                f"{row['in_test']:.2f}",
                f"{over[1]:+.2f}" if over and not variant.startswith("baseline") else "",
                multiple,
            )
        )
    widths = [max(len(str(cell)) for cell in column) for column in zip(COLUMNS, *lines, strict=True)]
    out = ["  ".join(cell.ljust(width) for cell, width in zip(COLUMNS, widths, strict=True))]
    out.append("  ".join("-" * width for width in widths))
    out += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines]
    out.append("")
    out += _verdicts(rows, overheads)
    return "\n".join(out)


def _verdicts(
    rows: dict[tuple[str, str], dict[str, float]], overheads: dict[tuple[str, str], tuple[float, float]]
) -> list[str]:
    """One line per db_session variant: overhead, one-off cost, the issue's target and, for db_session, the ratio."""
    out = []
    for backend, target in TARGET_MS.items():
        for variant in VARIANT_ORDER:
            if not variant.startswith("db_session") or (backend, variant) not in overheads:
                continue
            run, in_test = overheads[(backend, variant)]
            session_ms = rows[(backend, variant)]["session_ms"] - rows[(backend, _baseline_of(variant))]["session_ms"]
            n = int(rows[(backend, variant)]["n"])
            line = (
                f"{backend} {variant}: {in_test:+.2f} ms/test in-test, {run:+.2f} ms/test over the whole run "
                f"(one-off {session_ms:.0f} ms amortised over {n}); target < {target:g} ms: "
                f"{_met(in_test, target)} per test, {_met(run, target)} amortised"
            )
            naive = overheads.get((backend, "naive"))
            if variant == "db_session" and naive and run > 0:
                line += f"; naive {naive[0]:+.2f} ms/test = {naive[0] / run:.1f}x"
            out.append(line)
    return out


def _met(value: float, target: float) -> str:
    return "met" if value < target else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="?", type=Path, default=DEFAULT_JSON, help="pytest-benchmark JSON")
    parser.add_argument("--stat", default="min", choices=("min", "median", "mean"), help="round statistic")
    args = parser.parse_args()
    print(table(json.loads(args.json.read_text()), args.stat))


if __name__ == "__main__":
    main()
