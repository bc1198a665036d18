"""uvicorn on an inherited listening socket, with TCP_NODELAY on its connections.

``uvicorn --fd`` wraps the socket as AF_UNIX, so asyncio never sets TCP_NODELAY on the accepted TCP connections:
Nagle's algorithm and the client's delayed ACK then add about 40 ms to every response, which would be most of
what a load run measures. ``socket.socket(fileno=fd)`` reads the real family. Used by :class:`NoDelayServer`
until ``ServerProcess`` starts the child this way itself.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from pytest_svc.server_process import ServerProcess


class NoDelayServer(ServerProcess):
    """``ServerProcess`` whose child is this module instead of ``uvicorn --fd``."""

    def _command(self, fd: int) -> list[str]:
        command = [sys.executable, "-m", "load.runner.serve", self.app, "--fd", str(fd), "--log-level", self.log_level]
        command += ["--workers", str(self.workers)]
        return [*command, "--factory"] if self.factory else command


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m load.runner.serve")
    parser.add_argument("app")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--factory", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path.cwd()))
    listener = socket.socket(fileno=args.fd)  # the family (AF_INET) comes from the descriptor itself
    config = uvicorn.Config(
        args.app, factory=args.factory, log_level=args.log_level, access_log=False, workers=args.workers
    )
    server = uvicorn.Server(config)
    if args.workers > 1:
        Multiprocess(config, target=server.run, sockets=[listener]).run()
    else:
        server.run(sockets=[listener])


if __name__ == "__main__":
    main()
