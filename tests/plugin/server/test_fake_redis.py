"""FakeRedisServer: one fakeredis reachable over TCP from any process, Lua included; stops cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest
import redis

from pytest_svc.server.fake_redis import FakeRedisServer


def test_another_process_shares_the_fake_redis() -> None:
    before = set(threading.enumerate())
    with FakeRedisServer() as server:
        client = redis.Redis.from_url(server.url)
        client.set("shared", "from the test")
        code = f"import redis; r = redis.Redis.from_url({server.url!r}); r.incr('counter'); print(r.get('shared'))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
        assert out.stdout.strip() == "b'from the test'"
        assert client.get("counter") == b"1"
        assert client.eval("return redis.call('INCR', KEYS[1])", 1, "counter") == 2
        client.close()
        port = server.port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert set(threading.enumerate()) <= before  # the server's thread and its connection threads are gone


def test_an_error_reply_keeps_the_connection_open() -> None:
    # redis-py's scripts depend on it: EVALSHA answered NOSCRIPT, then SCRIPT LOAD on the same connection.
    with FakeRedisServer() as server:
        client = redis.Redis.from_url(server.url, single_connection_client=True)
        script = client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        assert script(keys=["n"], args=[5]) == 5
        with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
            client.execute_command("GET")
        assert client.ping() is True
        client.close()
