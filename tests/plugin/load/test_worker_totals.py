"""pytest_svc.load's worker totals and token pool: plain bookkeeping, checked without Locust."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_svc.load import Token, TokenPool, TokensError, WorkerTotals
from pytest_svc.load.tokens import parse_tokens, read_tokens
from pytest_svc.load.worker_totals import REPORT_KEY


def test_worker_totals_keep_each_workers_last_running_count() -> None:
    totals = WorkerTotals()
    totals.record("host_a", {REPORT_KEY: 10})
    totals.record("host_b", {REPORT_KEY: 7})
    totals.record("host_a", {REPORT_KEY: 25})  # running count: replaces, never adds
    totals.record("host_c", {"stats": []})  # a report without the count is not a worker of ours
    totals.record("host_d", {REPORT_KEY: True})
    assert totals.counts == {"host_a": 25, "host_b": 7}
    assert totals.sum == 32
    assert totals.matches(32)
    assert not totals.matches(33)
    assert totals.as_dict(33) == {"workers": {"host_a": 25, "host_b": 7}, "sum": 32, "master_total": 33, "equal": False}


def test_worker_totals_format() -> None:
    totals = WorkerTotals({"w2": 5, "w1": 4})
    assert totals.format(9).splitlines() == [
        "worker            requests",
        "w1                       4",
        "w2                       5",
        "sum of workers           9",
        "master total             9",
        "Worker totals: pass, 2 workers, sum equals the master's total",
    ]
    assert totals.format(10).splitlines()[-1] == "Worker totals: MISS, sum 9 != master total 10"
    assert not WorkerTotals().matches(0), "no worker reporting is a failure, even when the master saw nothing"
    assert WorkerTotals().format(0).splitlines()[-1] == "Worker totals: MISS, no worker reported a request count"


def test_parse_tokens() -> None:
    text = "# tokens of the load run\n\nalpha\nbravo admin\n  charlie  \ndelta admin ops\n"
    assert parse_tokens(text) == [
        Token("alpha"),
        Token("bravo", frozenset({"admin"})),
        Token("charlie"),
        Token("delta", frozenset({"admin", "ops"})),
    ]


def test_token_pool_hands_out_round_robin_per_label() -> None:
    pool = TokenPool(parse_tokens("a\nb admin\nc\nd admin\n"))
    assert [pool.next() for _ in range(5)] == ["a", "c", "a", "c", "a"]
    assert [pool.next("admin") for _ in range(3)] == ["b", "d", "b"]
    with pytest.raises(
        TokensError, match="the tokens file has no token with the label 'ops' \\(a line '<token> ops'\\)"
    ):
        pool.next("ops")
    with pytest.raises(TokensError, match=r"t\.txt has no token without a label"):
        TokenPool(parse_tokens("x admin\n"), "t.txt").next()


def test_read_tokens(tmp_path: Path) -> None:
    (tmp_path / "tokens").write_text("one\ntwo admin\n")
    assert read_tokens(tmp_path / "tokens") == [Token("one"), Token("two", frozenset({"admin"}))]
    with pytest.raises(TokensError, match=r"cannot read the tokens file .*missing: No such file"):
        read_tokens(tmp_path / "missing")
