"""Pass/fail thresholds of a load run: failure ratio, p95 and requests/s, for the total and per endpoint.

Read from TOML::

    [total]
    max_failure_ratio = 0.01     # failures / requests
    max_p95_ms = 500             # 95th percentile response time
    min_rps = 20                 # requests per second over the run

    [endpoints."GET /documents/{id}"]   # "<METHOD> <request name>", as Locust's statistics name it
    max_p95_ms = 100

Every limit is optional. An endpoint with limits that saw no request misses them: a renamed request must not
pass silently. Evaluation works on plain numbers (:class:`EndpointStats`), so it runs without Locust;
:func:`stats_from_locust` reads them from a Locust ``RequestStats`` by duck typing.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TOTAL = "total"
_LIMIT_KEYS = ("max_failure_ratio", "max_p95_ms", "min_rps")


class ThresholdsError(Exception):
    """The thresholds file cannot be used; the message names the file, the key and the fix."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits of one scope (the total, or one endpoint); None means not checked."""

    max_failure_ratio: float | None = None
    max_p95_ms: float | None = None
    min_rps: float | None = None

    @classmethod
    def from_table(cls, table: Any, where: str) -> Limits:
        """Read ``{max_failure_ratio, max_p95_ms, min_rps}``; ``where`` names the table in error messages."""
        if not isinstance(table, dict):
            raise ThresholdsError(f"{where} must be a table of limits ({', '.join(_LIMIT_KEYS)}), not {table!r}")
        unknown = sorted(set(table) - set(_LIMIT_KEYS))
        if unknown:
            keys = ", ".join(_LIMIT_KEYS)
            raise ThresholdsError(f"{where}: unknown key(s) {', '.join(unknown)}; the keys are {keys}")
        values: dict[str, float] = {}
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ThresholdsError(f"{where}: {key} = {value!r}; it must be a number >= 0")
            values[key] = float(value)
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class EndpointStats:
    """What a run measured for one scope: ``name`` is ``"<METHOD> <request name>"`` or ``"total"``."""

    name: str
    requests: int
    failures: int
    rps: float
    p95_ms: float | None

    @property
    def failure_ratio(self) -> float | None:
        return self.failures / self.requests if self.requests else None


@dataclasses.dataclass(frozen=True)
class Check:
    """One limit applied to one scope: what was allowed, what was measured, and whether it passed."""

    scope: str
    metric: str
    limit: float
    actual: float | None
    passed: bool

    def describe(self) -> str:
        """``PASS total p95 ≤ 500 ms: 42 ms``-style line."""
        comparison, unit, digits = _METRICS[self.metric]
        shown = "no requests" if self.actual is None else f"{self.actual:.{digits}f}{unit}"
        verdict = "pass" if self.passed else "MISS"
        return f"{verdict:4}  {self.scope} {self.metric} {comparison} {self.limit:g}{unit}: {shown}"


# metric -> (comparison, unit, decimals shown)
_METRICS = {"failure ratio": ("<=", "", 4), "p95": ("<=", " ms", 0), "requests/s": (">=", "", 1)}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """The limits of a run: ``total`` applies to all requests together, ``endpoints`` to one each."""

    total: Limits = Limits()
    endpoints: Mapping[str, Limits] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "thresholds") -> Thresholds:
        """Build from parsed TOML; ``source`` names the file in error messages."""
        unknown = sorted(set(data) - {"total", "endpoints"})
        if unknown:
            tables = ", ".join(unknown)
            raise ThresholdsError(f'{source}: unknown table(s) {tables}; use [total] and [endpoints."<METHOD> <name>"]')
        total = Limits.from_table(data.get("total", {}), f"{source} [total]")
        endpoints_table = data.get("endpoints", {})
        if not isinstance(endpoints_table, dict):
            raise ThresholdsError(f"{source}: 'endpoints' must be a table of [endpoints.\"<METHOD> <name>\"] tables")
        endpoints = {}
        for name, table in endpoints_table.items():
            method, _, path = name.partition(" ")
            if not method.isupper() or not path:
                raise ThresholdsError(
                    f'{source}: [endpoints."{name}"] must be named "<METHOD> <request name>", e.g. "GET /health/live"'
                )
            endpoints[name] = Limits.from_table(table, f'{source} [endpoints."{name}"]')
        return cls(total, endpoints)

    @classmethod
    def from_toml(cls, path: str | Path) -> Thresholds:
        """Read a thresholds file; :class:`ThresholdsError` says what is wrong with it."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ThresholdsError(f"cannot read the thresholds file {path}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ThresholdsError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_mapping(data, str(path))


def _limit_checks(limits: Limits, stats: EndpointStats | None, scope: str) -> list[Check]:
    requests = stats.requests if stats else 0
    checks = []
    if limits.max_failure_ratio is not None:
        ratio = stats.failure_ratio if stats else None
        passed = ratio is not None and ratio <= limits.max_failure_ratio
        checks.append(Check(scope, "failure ratio", limits.max_failure_ratio, ratio, passed))
    if limits.max_p95_ms is not None:
        p95 = stats.p95_ms if stats and requests else None
        checks.append(Check(scope, "p95", limits.max_p95_ms, p95, p95 is not None and p95 <= limits.max_p95_ms))
    if limits.min_rps is not None:
        rps = stats.rps if stats and requests else None
        checks.append(Check(scope, "requests/s", limits.min_rps, rps, rps is not None and rps >= limits.min_rps))
    return checks


def evaluate(thresholds: Thresholds, total: EndpointStats, endpoints: Mapping[str, EndpointStats]) -> list[Check]:
    """Apply every limit: the total's first, then each endpoint's in the file's order."""
    checks = _limit_checks(thresholds.total, total, TOTAL)
    for name, limits in thresholds.endpoints.items():
        checks.extend(_limit_checks(limits, endpoints.get(name), name))
    return checks


def format_checks(checks: list[Check]) -> str:
    """The report printed at the end of a run: one line per check and a verdict."""
    missed = [check for check in checks if not check.passed]
    lines = ["Thresholds:", *(f"  {check.describe()}" for check in checks)]
    if not checks:
        lines.append("  (none configured)")
    lines.append(f"Thresholds missed: {len(missed)} of {len(checks)}" if missed else "Thresholds: all passed")
    return "\n".join(lines)


def _entry_stats(name: str, entry: Any) -> EndpointStats:
    requests = int(entry.num_requests)
    p95 = float(entry.get_response_time_percentile(0.95)) if requests else None
    return EndpointStats(name, requests, int(entry.num_failures), float(entry.total_rps), p95)


def stats_from_locust(stats: Any) -> tuple[EndpointStats, dict[str, EndpointStats]]:
    """The total and per-endpoint figures of a Locust ``RequestStats`` (``environment.stats``), by duck typing."""
    endpoints = {}
    for (name, method), entry in stats.entries.items():
        key = f"{method} {name}"
        endpoints[key] = _entry_stats(key, entry)
    return _entry_stats(TOTAL, stats.total), endpoints
