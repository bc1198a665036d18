"""Prometheus' multiprocess mode: what several uvicorn workers counted, summed by the one that serves /metrics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCUMENT = "/documents/{document_id}"


WORKER = """
from reference_app.observability.metrics import REQUESTS
REQUESTS.labels("GET", "/documents/{document_id}", "200").inc()
"""
SCRAPE = """
from reference_app.observability.metrics import exposition
body, _ = exposition()
print(body.decode())
"""


def test_several_workers_are_summed_in_multiprocess_mode(tmp_path: Path) -> None:
    # Two worker processes count a request each; a third serves /metrics' body from the shared directory.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER], env=env, check=True, timeout=60)
    scraped = subprocess.run([sys.executable, "-c", SCRAPE], env=env, check=True, timeout=60, capture_output=True)
    line = f'http_requests_total{{method="GET",route="{DOCUMENT}",status="200"}} 2.0'
    assert line in scraped.stdout.decode()
