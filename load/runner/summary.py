"""The summary table of a run, from Locust's ``<prefix>_stats.csv``: per endpoint and in total."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of Locust's stats CSV, the columns the summary shows (times in ms)."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50: str
    p95: str
    p99: str

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.name}".strip() if self.method else self.name


def read_stats(path: Path) -> list[Row]:
    """The rows of a ``_stats.csv``; the ``Aggregated`` row comes last, as Locust writes it."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Row(
                method=record["Type"],
                name=record["Name"],
                requests=int(record["Request Count"]),
                failures=int(record["Failure Count"]),
                rps=float(record["Requests/s"]),
                p50=record["50%"],
                p95=record["95%"],
                p99=record["99%"],
            )
            for record in csv.DictReader(handle)
        ]


def format_table(rows: list[Row]) -> str:
    """Requests, failures, requests/s and p50/p95/p99 per endpoint, aligned."""
    header = ("endpoint", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms")
    cells = [header] + [
        (row.endpoint, str(row.requests), str(row.failures), f"{row.rps:.1f}", row.p50, row.p95, row.p99)
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def render(line: tuple[str, ...]) -> str:
        first = line[0].ljust(widths[0])
        return "  ".join([first, *(cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True))])

    rule = "-" * len(render(header))
    lines = [render(header), rule, *(render(line) for line in cells[1:])]
    if rows and rows[-1].name == "Aggregated":
        lines.insert(len(lines) - 1, rule)
    return "\n".join(lines)
