"""Running the app for the desktop shell: loopback only, OS-assigned port, one `ready` line.

The socket is bound before uvicorn starts, so the port is known (and owned) before anything
else happens; the ready line is printed only once uvicorn reports it is serving. SIGTERM, SIGINT,
`POST /api/system/shutdown` and (with `--parent-stdin`) EOF on stdin all lead to the same
graceful shutdown: the lifespan puts running jobs back in the queue and kills FFmpeg children.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from reelforge import __version__
from reelforge.api.access import AccessPolicy
from reelforge.app import create_app

log = logging.getLogger("reelforge.server")

HOST = "127.0.0.1"


def bind_socket(port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says it is TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if sys.platform != "win32":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


class GracefulServer(uvicorn.Server):
    """uvicorn's server with our own signal handling.

    uvicorn re-raises SIGTERM after its graceful shutdown, so the process would die by the
    signal; the shell expects a clean exit code after a graceful stop.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.handle_exit, sig, None)
                installed.append(sig)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                pass
        try:
            yield
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)


def ready_line(port: int) -> str:
    return json.dumps(
        {"event": "ready", "port": port, "pid": os.getpid(), "version": __version__},
        separators=(",", ":"),
    )


def _watch_stdin(loop: asyncio.AbstractEventLoop, server: uvicorn.Server) -> None:
    """Block on stdin until EOF (the parent went away), then ask the server to exit."""
    # os.read on the raw descriptor, not sys.stdin: a daemon thread blocked inside a buffered
    # reader holds its lock, and the interpreter aborts at exit when it finds that lock taken.
    try:
        while os.read(sys.stdin.fileno(), 4096):
            pass
    except (OSError, ValueError):
        pass
    log.info("stdin closed; shutting down")
    loop.call_soon_threadsafe(setattr, server, "should_exit", True)


async def _serve(server: uvicorn.Server, sock: socket.socket, parent_stdin: bool) -> bool:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.005)
    started = server.started
    if started:
        sys.stdout.write(ready_line(sock.getsockname()[1]) + "\n")
        sys.stdout.flush()
        if parent_stdin:
            threading.Thread(
                target=_watch_stdin,
                args=(asyncio.get_running_loop(), server),
                name="stdin-watch",
                daemon=True,
            ).start()
    await task
    return started


def serve(port: int, data_dir: Path, policy: AccessPolicy, *, parent_stdin: bool = False) -> int:
    sock = bind_socket(port)
    heartbeat = float(os.environ.get("REELFORGE_SSE_HEARTBEAT_SEC", "15"))
    servers: list[uvicorn.Server] = []

    def request_exit() -> None:
        log.info("shutdown requested through the API")
        for server in servers:
            server.should_exit = True

    config = uvicorn.Config(
        create_app(data_dir, heartbeat_sec=heartbeat, policy=policy, request_exit=request_exit),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
        ws="none",
    )
    server = GracefulServer(config)
    servers.append(server)
    started = asyncio.run(_serve(server, sock, parent_stdin))
    sock.close()
    if not started:
        log.error("server failed to start (see the messages above)")
        return 1
    return 0
