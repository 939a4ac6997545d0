"""`POST /api/system/shutdown`: the desktop shell's way to stop the server gracefully.

It answers first (202), then asks the server to exit: the same graceful path as SIGTERM, where
running jobs go back to the queue and FFmpeg children are killed. Like every route but the
liveness probes, it needs the launch token when the server has one.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from litestar import Controller, Response, post
from litestar.background_tasks import BackgroundTask


class ShutdownAccepted(msgspec.Struct):
    status: str


def system_controller(request_exit: Callable[[], None]) -> type[Controller]:
    class SystemController(Controller):
        path = "/api/system"
        tags = ["system"]

        @post("/shutdown", status_code=202, summary="Shut the server down gracefully")
        async def shutdown(self) -> Response[ShutdownAccepted]:
            return Response(
                ShutdownAccepted(status="shutting-down"),
                status_code=202,
                background=BackgroundTask(_call, request_exit),
            )

    return SystemController


async def _call(request_exit: Callable[[], None]) -> None:
    request_exit()
