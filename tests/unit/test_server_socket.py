"""The pre-bound listening socket: loopback only, and TCP_NODELAY on accepted connections."""

from __future__ import annotations

import asyncio
import socket

import pytest

from reelforge.server import bind_socket


@pytest.mark.anyio
async def test_accepted_connections_get_tcp_nodelay() -> None:
    # Without it, each response waits for the client's delayed ACK: ~40 ms per request.
    sock = bind_socket(0)
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted = writer.get_extra_info("socket")
        seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    async with server:
        host, port = sock.getsockname()
        assert host == "127.0.0.1"
        _, writer = await asyncio.open_connection(host, port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
    assert seen and seen[0] != 0
