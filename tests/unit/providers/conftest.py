"""Fixtures of the provider tests: the fake provider server and quick-failing configs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.fakes.ai_server import FakeAIServer

from reelforge.providers.base import ProviderConfig


@pytest.fixture
def fake() -> Iterator[FakeAIServer]:
    with FakeAIServer() as server:
        yield server


def quick_config(name: str, base_url: str, key: str, overrides: dict[str, Any]) -> ProviderConfig:
    """A config for tests: short timeouts and tiny backoffs, so retries cost milliseconds.

    `overrides` may replace any field, the name, base URL and key included.
    """
    values: dict[str, Any] = {
        "name": name, "base_url": base_url, "api_key": key,
        "timeout_sec": 5.0, "max_retries": 2, "backoff_sec": 0.01,
    }  # fmt: skip
    return ProviderConfig(**(values | overrides))
