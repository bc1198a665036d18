"""The session's configuration: the xdist worker, read once for every fixture."""

from __future__ import annotations

import types
from typing import Any, cast

import pytest

from pytest_svc.config import Worker


@pytest.mark.parametrize(
    ("workerinput", "expected"),
    [
        (None, Worker(None, 0, 1)),
        ({"workerid": "gw0", "workercount": 2}, Worker("gw0", 0, 2)),
        ({"workerid": "gw13", "workercount": 16}, Worker("gw13", 13, 16)),
        ({"workerid": "custom"}, Worker("custom", 0, 1)),
    ],
)
def test_worker_id_number_and_count_come_from_xdist(workerinput: dict[str, Any] | None, expected: Worker) -> None:
    config = types.SimpleNamespace(workerinput=workerinput) if workerinput else types.SimpleNamespace()
    assert Worker.of(cast(pytest.Config, config)) == expected
