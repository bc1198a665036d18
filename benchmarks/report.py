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

Below the table: each db_session variant against issue 11's targets (in-test overhead, ms per test: in-memory
SQLite <= 1.0 on function loops and <= 0.5 on a session loop, PostgreSQL <= 4.0 and <= 1.0), then pytest-svc's
``db_session`` beside pytest-sqla's ``sqla_async_session`` (each over its own baseline, same run) as a ratio,
``db_session`` on a session loop beside the minimal hand-written fixture (the floor: no guard), and on
PostgreSQL the background connection beside a connect per loop.

Run times are the minimum over rounds by default (``--stat``), in-test times always: on a shared machine noise
only ever adds time.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DEFAULT_JSON = Path(__file__).parent / "results" / "fixture_overhead.json"
# Issue 11, item 8: in-test overhead of db_session with one INSERT, ms per test, (backend, loop scope).
TARGET_MS = {
    ("sqlite", "function"): 1.0,
    ("sqlite", "session"): 0.5,
    ("postgresql", "function"): 4.0,
    ("postgresql", "session"): 1.0,
}
SESSION_LOOP = "+session_loop"
VARIANT_ORDER = (
    "baseline",
    "db_session_noop",
    "db_session",
    "db_session+connect_per_loop",
    "naive",
    "sqla_baseline",
    "sqla_async_session",
    "baseline+session_loop",
    "db_session_noop+session_loop",
    "db_session+session_loop",
    "minimal+session_loop",
    "sqla_baseline+session_loop",
    "sqla_async_session+session_loop",
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


def _loop_of(variant: str) -> str:
    return "session" if variant.endswith(SESSION_LOOP) else "function"


def _baseline_of(variant: str) -> str:
    base = "sqla_baseline" if variant.startswith("sqla_") else "baseline"
    return base + SESSION_LOOP if _loop_of(variant) == "session" else base


def _db_session_of(variant: str) -> str:
    return "db_session+session_loop" if _loop_of(variant) == "session" else "db_session"


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
                f"{over[0]:+.2f}" if over and not _is_baseline(variant) else "",
                f"{row['in_test']:.2f}",
                f"{over[1]:+.2f}" if over and not _is_baseline(variant) else "",
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


def _is_baseline(variant: str) -> bool:
    return variant.startswith(("baseline", "sqla_baseline"))


def _verdicts(
    rows: dict[tuple[str, str], dict[str, float]], overheads: dict[tuple[str, str], tuple[float, float]]
) -> list[str]:
    """Each db_session variant against its target; then the ratios to the peer and to a connect per loop."""
    out = []
    for (backend, loop), target in TARGET_MS.items():
        for variant in VARIANT_ORDER:
            if not variant.startswith("db_session") or _loop_of(variant) != loop:
                continue
            if (backend, variant) not in overheads:
                continue
            run, in_test = overheads[(backend, variant)]
            session_ms = rows[(backend, variant)]["session_ms"] - rows[(backend, _baseline_of(variant))]["session_ms"]
            n = int(rows[(backend, variant)]["n"])
            line = (
                f"{backend} {variant}: {in_test:+.2f} ms/test in-test, {run:+.2f} ms/test over the whole run "
                f"(one-off {session_ms:.0f} ms amortised over {n}); target <= {target:g} ms ({loop} loops): "
                f"{_met(in_test, target)} per test, {_met(run, target)} amortised"
            )
            naive = overheads.get((backend, "naive"))
            if variant == "db_session" and naive and run > 0:
                line += f"; naive {naive[0]:+.2f} ms/test = {naive[0] / run:.1f}x"
            out.append(line)
    out.append("")
    for backend, loop in TARGET_MS:
        suffix = SESSION_LOOP if loop == "session" else ""
        ours = overheads.get((backend, "db_session" + suffix))
        theirs = overheads.get((backend, "sqla_async_session" + suffix))
        if ours and theirs:
            out.append(
                f"{backend}, {loop} loops: pytest-svc db_session {ours[1]:+.2f} ms/test in-test "
                f"({ours[0]:+.2f} whole run), pytest-sqla sqla_async_session {theirs[1]:+.2f} ({theirs[0]:+.2f}): "
                f"pytest-svc / pytest-sqla = {_ratio(ours[1], theirs[1])} in-test, "
                f"{_ratio(ours[0], theirs[0])} whole run"
            )
    for backend in ("sqlite", "postgresql"):
        ours = overheads.get((backend, "db_session+session_loop"))
        floor = overheads.get((backend, "minimal+session_loop"))
        if ours and floor:
            out.append(
                f"{backend}, session loops: pytest-svc db_session {ours[1]:+.2f} ms/test in-test, the minimal "
                f"hand-written fixture {floor[1]:+.2f}: {_ratio(ours[1], floor[1])}"
            )
    ours = overheads.get(("postgresql", "db_session"))
    direct = overheads.get(("postgresql", "db_session+connect_per_loop"))
    if ours and direct:
        out.append(
            f"postgresql, function loops: background connection {ours[1]:+.2f} ms/test in-test, a connect per loop "
            f"{direct[1]:+.2f}: {_ratio(ours[1], direct[1])}"
        )
    return out


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference > 0 else "n/a"


def _met(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="?", type=Path, default=DEFAULT_JSON, help="pytest-benchmark JSON")
    parser.add_argument("--stat", default="min", choices=("min", "median", "mean"), help="round statistic")
    args = parser.parse_args()
    print(table(json.loads(args.json.read_text()), args.stat))


if __name__ == "__main__":
    main()
