"""The voices a job can speak with: list, preview, import a Piper voice, delete an import."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from litestar.openapi.spec.operation import Operation
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from reelforge.api.docs import problems
from reelforge.api.schemas import Camel
from reelforge.api.uploads import receive_form
from reelforge.errors import ReelforgeError
from reelforge.generate.context import content_key
from reelforge.providers import espeak
from reelforge.providers.voices import Voice, VoiceLibrary
from reelforge.services import Services
from reelforge.store.repository import new_id

SAMPLE_SENTENCE = "Here is how your video will sound, read aloud with this voice."
MAX_VOICE_MB = 200  # a Piper "high" model is about 110 MB
VoiceId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_+/:.-]{1,60}$")]


class VoiceView(Camel):
    id: str
    engine: str
    name: str
    language: str
    quality: str
    sample_rate: int
    builtin: bool
    license: str
    preview_url: str

    @classmethod
    def of(cls, voice: Voice) -> VoiceView:
        return cls(
            id=voice.id,
            engine=voice.engine,
            name=voice.name,
            language=voice.language,
            quality=voice.quality,
            sample_rate=voice.sample_rate,
            builtin=voice.builtin,
            license=voice.license,
            preview_url=f"/api/voices/preview?voice={quote(voice.id, safe='')}",
        )


class VoiceList(Camel):
    voices: list[VoiceView]


class PreviewRequest(Camel, forbid_unknown_fields=True):
    voice: VoiceId
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] = SAMPLE_SENTENCE
    rate: Annotated[int, msgspec.Meta(ge=80, le=400)] = 175
    pitch: Annotated[int, msgspec.Meta(ge=0, le=100)] = 50


@dataclass
class ImportOperation(Operation):
    """The import handler streams its body itself: document its form."""

    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        form = Schema(
            type=OpenAPIType.OBJECT,
            required=["model", "config"],
            properties={"model": binary, "config": binary, "name": Schema(type=OpenAPIType.STRING)},
        )
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=form)}, required=True
        )


def _library(services: Services) -> VoiceLibrary:
    return VoiceLibrary(services.paths.voices, services.paths.cache)


async def _preview(services: Services, ask: PreviewRequest) -> Response[bytes]:
    """Speak `ask` (cached under the cache dir by everything that changes the sound)."""
    library = _library(services)
    voice = await asyncio.to_thread(library.resolve, ask.voice, "en")
    key = content_key([voice.id, str(voice.model), ask.text, ask.rate, ask.pitch])
    path = services.paths.cache / "voice-previews" / f"{key}.wav"
    if not path.is_file():
        speech = await asyncio.to_thread(
            library.speak, voice, ask.text, rate=ask.rate, pitch=ask.pitch
        )
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(espeak.write_wav, path, speech.samples, speech.sample_rate)
    data = await asyncio.to_thread(path.read_bytes)
    return Response(
        data, media_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"}
    )


class VoiceController(Controller):
    path = "/api/voices"
    tags = ["voices"]

    @get("/", summary="Every voice: Piper (bundled and imported) and espeak-ng")
    async def list_voices(self, services: Services) -> VoiceList:
        voices = await asyncio.to_thread(_library(services).all)
        return VoiceList(voices=[VoiceView.of(v) for v in voices])

    @get(
        "/preview",
        opt=problems("VOICE_NOT_FOUND", "VOICE_FAILED", "DISK_FULL"),
        summary="A voice reading a sample sentence (audio/wav)",
        media_type="audio/wav",
    )
    async def preview_sample(
        self, services: Services, voice: Annotated[str, Parameter(max_length=60)]
    ) -> Response[bytes]:
        return await _preview(services, PreviewRequest(voice=voice))

    @post(
        "/preview",
        status_code=200,
        opt=problems("VOICE_NOT_FOUND", "VOICE_FAILED", "DISK_FULL"),
        summary="A voice reading your text (at most 300 characters) at a rate and pitch",
        media_type="audio/wav",
    )
    async def preview(self, services: Services, data: PreviewRequest) -> Response[bytes]:
        return await _preview(services, data)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        opt=problems("MALFORMED_UPLOAD", "VOICE_INVALID", "VOICE_EXISTS", "DISK_FULL"),
        request_max_body_size=None,
        summary="Import a Piper voice: multipart `model` (.onnx), `config` (.onnx.json), `name`",
        description=(
            "The voice is checked before it is listed: the config must be a Piper voice config, "
            "the model an ONNX model of Piper's shape that loads, and it must speak a test "
            "sentence. Refused with VOICE_INVALID and its `reason` (config-missing, "
            "config-not-json, config-invalid, not-onnx, truncated, not-piper, silent); nothing "
            "is kept then."
        ),
        operation_class=ImportOperation,
    )
    async def import_voice(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
    ) -> VoiceView:
        incoming = services.paths.voices / ".incoming"
        await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
        stem = new_id()
        dests = {"model": incoming / f"{stem}.onnx", "config": incoming / f"{stem}.onnx.json"}
        try:
            form = await receive_form(request, dests, max_bytes=MAX_VOICE_MB * 1024 * 1024)
            model = form.files.get("model")
            if model is None:
                raise ReelforgeError(
                    "VALIDATION_FAILED",
                    "model: no file was sent",
                    errors=[{"field": "model", "message": "the voice's .onnx file is required"}],
                )
            name = form.texts.get("name", "").strip() or _stem(model.filename)
            config = form.files.get("config")
            voice = await asyncio.to_thread(
                _library(services).import_voice,
                model.path,
                config.path if config else None,
                name,
            )
        finally:
            for path in dests.values():
                await asyncio.to_thread(path.unlink, missing_ok=True)
        return VoiceView.of(voice)

    @delete(
        "/{voice_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        opt=problems("VOICE_NOT_FOUND", "VOICE_BUILTIN"),
        summary="Delete an imported voice",
    )
    async def delete_voice(self, services: Services, voice_id: str) -> None:
        await asyncio.to_thread(_library(services).delete, voice_id)


def _stem(filename: str) -> str:
    name = filename.removesuffix(".onnx")
    return "".join(c if c.isalnum() or c in "_.-" else "-" for c in name).strip(".-")[:48]
