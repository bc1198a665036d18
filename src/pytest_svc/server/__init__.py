"""Serving the app for real: a uvicorn child process on a loopback port, and what it serves.

Which code runs where:

- in the test process: :mod:`.process` (``ServerProcess`` binds the port and starts the child),
  :mod:`.fake_redis` (``FakeRedisServer``: fakeredis over TCP, served from a thread) and :mod:`.live_server`
  (the ``live_server`` fixture: the server's own database and Redis, then the child);
- in the child process: :mod:`.child` (uvicorn on the inherited socket) and :mod:`.live_app` (builds the app
  with the test wiring from :mod:`pytest_svc.wiring`; it never imports the fixture modules).
"""
