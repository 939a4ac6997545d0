"""User settings: read them, or change some of them."""

from __future__ import annotations

from litestar import Controller, get, put

from reelforge.config import Settings, SettingsUpdate
from reelforge.services import Services


class SettingsController(Controller):
    path = "/api/settings"
    tags = ["settings"]

    @get("/", summary="Current settings")
    async def read(self, services: Services) -> Settings:
        return await services.repo.load_settings()

    @put("/", summary="Change settings (fields left out keep their value)")
    async def update(self, services: Services, data: SettingsUpdate) -> Settings:
        settings = data.apply_to(await services.repo.load_settings())
        await services.repo.save_settings(settings)
        return settings
