"""The startup baseline for `scripts/bench startup`: the smallest server of the same kind.

A Litestar app with one `/health` route, served by uvicorn on a pre-bound 127.0.0.1 port-0
socket, printing the same `ready` JSON line once uvicorn serves. It is bundled exactly like
Reelforge (`build/minimal.spec`: onedir, no UPX), so the difference between the two launch
times is what Reelforge itself costs: its imports, its app factory and its lifespan.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

import uvicorn
from litestar import Litestar, get


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


async def serve() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    app = Litestar(route_handlers=[health], logging_config=None)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.005)
    if server.started:
        port = sock.getsockname()[1]
        ready = {"event": "ready", "port": port, "pid": os.getpid(), "version": "0"}
        sys.stdout.write(json.dumps(ready, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    await task


if __name__ == "__main__":
    asyncio.run(serve())
