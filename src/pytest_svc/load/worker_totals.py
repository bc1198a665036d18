"""Per-worker request counts of a distributed run, and the check that the master's total is their sum.

Each worker counts its own requests (every ``request`` event) and sends the running count with each report to
the master, in the same message as the statistics it counts; the master keeps the last count per worker. At the
end the master's total must equal the sum: a lost or doubled report shows as a difference. No Locust import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

REPORT_KEY = "svc_requests"
"""The key of the running request count in a worker's report to the master."""


@dataclasses.dataclass
class WorkerTotals:
    """The master's view: the last request count each worker reported, keyed by the worker's client id."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def record(self, client_id: str, report: Mapping[str, object]) -> None:
        """Take the running count from one worker report; reports without one (other plugins' workers) are skipped."""
        count = report.get(REPORT_KEY)
        if isinstance(count, int) and not isinstance(count, bool):
            self.counts[client_id] = count

    @property
    def sum(self) -> int:
        return sum(self.counts.values())

    def matches(self, master_total: int) -> bool:
        """Whether the master counted exactly the requests the workers made (and at least one worker reported)."""
        return bool(self.counts) and self.sum == master_total

    def format(self, master_total: int) -> str:
        """A table of the workers' counts, their sum and the master's total, with the verdict."""
        width = max([len("sum of workers"), *map(len, self.counts)])
        lines = [f"{'worker':<{width}}  {'requests':>10}"]
        lines += [f"{client_id:<{width}}  {count:>10}" for client_id, count in sorted(self.counts.items())]
        lines.append(f"{'sum of workers':<{width}}  {self.sum:>10}")
        lines.append(f"{'master total':<{width}}  {master_total:>10}")
        if not self.counts:
            lines.append("Worker totals: MISS, no worker reported a request count")
        elif self.matches(master_total):
            lines.append(f"Worker totals: pass, {len(self.counts)} workers, sum equals the master's total")
        else:
            lines.append(f"Worker totals: MISS, sum {self.sum} != master total {master_total}")
        return "\n".join(lines)

    def as_dict(self, master_total: int) -> dict[str, object]:
        """JSON-ready: ``{"workers": {id: count}, "sum": n, "master_total": n, "equal": bool}``."""
        return {
            "workers": dict(sorted(self.counts.items())),
            "sum": self.sum,
            "master_total": master_total,
            "equal": self.matches(master_total),
        }
