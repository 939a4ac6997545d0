"""Sample source documents that ship with Reelforge, so a first video can show real content.

The studio offers them on first launch; a client adds one to a brief as pasted text
(`{"text": ..., "title": ...}`) or uploads it like any document.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from reelforge.api.schemas import Camel
from reelforge.errors import ReelforgeError

SAMPLES = ("how-tides-work",)


class SampleSummary(Camel):
    name: str
    title: str
    words: int
    url: str


class Sample(Camel):
    name: str
    title: str
    text: str


def read_sample(name: str) -> Sample:
    if name not in SAMPLES:
        raise ReelforgeError("NOT_FOUND", f"no sample named {name!r}; see GET /api/samples")
    text = (resources.files("reelforge") / "demo" / f"{name}.md").read_text(encoding="utf-8")
    first = text.lstrip().splitlines()[0] if text.strip() else name
    return Sample(name=name, title=first.lstrip("# ").strip(), text=text)


class SampleController(Controller):
    path = "/api/samples"
    tags = ["documents"]

    @get("/", summary="Sample source documents")
    async def list_samples(self) -> list[SampleSummary]:
        samples = [read_sample(name) for name in SAMPLES]
        return [
            SampleSummary(
                name=s.name, title=s.title, words=len(s.text.split()), url=f"/api/samples/{s.name}"
            )
            for s in samples
        ]

    @get("/{name:str}", summary="A sample document's text (Markdown)")
    async def get_sample(
        self, name: Annotated[str, Parameter(max_length=64, description="Sample name")]
    ) -> Sample:
        return read_sample(name)
