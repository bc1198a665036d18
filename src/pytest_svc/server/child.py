"""Runs in the child process: uvicorn on the TCP socket :class:`~pytest_svc.server.process.ServerProcess` hands it.

``python -m pytest_svc.server.child APP --fd N``. Not ``uvicorn --fd``: uvicorn wraps that descriptor as an
AF_UNIX socket, so asyncio never sets TCP_NODELAY on the connections it accepts, and Nagle's algorithm with the
client's delayed ACK adds about 40 ms to every response. ``socket.socket(fileno=fd)`` reads the real family.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def listener_from_fd(fd: int) -> socket.socket:
    """The inherited listening socket, with its real family (AF_INET), so accepted connections get TCP_NODELAY."""
    return socket.socket(fileno=fd)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pytest_svc.server.child")
    parser.add_argument("app")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--factory", action="store_true")
    args = parser.parse_args(argv)
    listener = listener_from_fd(args.fd)
    # No "Server: uvicorn": what runs a service is not the caller's business (OWASP), and a production
    # deployment drops it too (uvicorn --no-server-header).
    config = uvicorn.Config(
        args.app,
        factory=args.factory,
        log_level=args.log_level,
        access_log=False,
        workers=args.workers,
        server_header=False,
    )
    if args.workers > 1:
        Multiprocess(config, sockets=[listener]).run()
    else:
        uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
