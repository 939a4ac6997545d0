"""The built-in music library: its tracks, and each track's audio to preview it.

A job's `render.music` names a mood, one of these tracks by `id`, or an uploaded audio asset.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, route
from litestar.enums import HttpMethod
from litestar.params import Parameter
from litestar.response import Stream

from reelforge.api.docs import problems
from reelforge.api.media import file_responses, serve_file
from reelforge.api.schemas import Camel
from reelforge.errors import ReelforgeError
from reelforge.media import music

TrackId = Annotated[str, Parameter(description="Track id (GET /api/music)", max_length=64)]


class TrackView(Camel):
    id: str
    title: str
    mood: str
    tempo_bpm: float | None
    key: str | None
    duration_sec: float
    license: str
    source: str  # the package the track comes from, with its version
    preview_url: str

    @classmethod
    def of(cls, track: music.Track) -> TrackView:
        return cls(
            id=track.id,
            title=track.title,
            mood=track.mood,
            tempo_bpm=track.tempo_bpm,
            key=track.key,
            duration_sec=round(track.duration, 3),
            license=track.license,
            source=track.source,
            preview_url=f"/api/music/{track.id}/audio",
        )


class MusicLibrary(Camel):
    tracks: list[TrackView]
    moods: list[str]


class MusicController(Controller):
    path = "/api/music"
    tags = ["music"]

    @get("/", summary="The built-in music library: tracks by mood, and the moods")
    async def tracks(self) -> MusicLibrary:
        library = music.library()
        return MusicLibrary(
            tracks=[TrackView.of(t) for t in library.tracks], moods=list(library.moods)
        )

    @route(
        "/{track_id:str}/audio",
        opt=problems("NOT_FOUND", "RANGE_NOT_SATISFIABLE"),
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="A track's audio, Opus in Ogg (supports Range)",
        responses=file_responses("audio/ogg", "The track"),
    )
    async def audio(
        self,
        request: Request,  # type: ignore[type-arg]
        track_id: TrackId,
    ) -> Response[bytes] | Stream:
        track = music.library().find(track_id)
        if track is None:
            raise ReelforgeError(
                "NOT_FOUND", f"no track with id {track_id!r}; GET /api/music lists them"
            )
        return serve_file(
            request, track.path, mime="audio/ogg", filename=f"{track.id}.opus", download=False
        )
