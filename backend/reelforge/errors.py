"""Domain errors and the catalogue of their stable codes.

Every failure a user can see is a `ReelforgeError` carrying a catalogue code. The API maps them to
RFC 9457 problem details in one place (`api/problems.py`); jobs store the code and remediation when
they fail. Codes never change meaning once published: `docs/errors.md` lists them all, and a test
keeps that page and this table in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorKind:
    """One catalogue entry: the HTTP status it maps to, a title, and what the user can do."""

    status: int
    title: str
    remediation: str


CATALOGUE: dict[str, ErrorKind] = {
    "MALFORMED_JSON": ErrorKind(400, "Malformed JSON", "Send a valid JSON document."),
    "VALIDATION_FAILED": ErrorKind(
        422, "Validation failed", "Fix the fields listed in `errors` and send the request again."
    ),
    "UNSUPPORTED_MEDIA_TYPE": ErrorKind(
        415,
        "Unsupported media type",
        "Send the body as application/json (multipart/form-data for uploads).",
    ),
    "NOT_FOUND": ErrorKind(404, "Not found", "Check the URL."),
    "JOB_NOT_FOUND": ErrorKind(404, "Job not found", "List jobs with GET /api/jobs."),
    "MEDIA_NOT_FOUND": ErrorKind(404, "Media not found", "List a job's artifacts first."),
    "METHOD_NOT_ALLOWED": ErrorKind(405, "Method not allowed", "See /api/docs for the methods."),
    "JOB_STATE_CONFLICT": ErrorKind(
        409, "Job is in the wrong state", "Check the job's status before this action."
    ),
    "QUEUE_FULL": ErrorKind(
        429, "Too many queued jobs", "Wait for queued jobs to finish, or cancel some."
    ),
    "PAYLOAD_TOO_LARGE": ErrorKind(413, "Payload too large", "Send a smaller body."),
    "RANGE_NOT_SATISFIABLE": ErrorKind(
        416, "Range not satisfiable", "Ask for a byte range inside the file's size."
    ),
    "HOST_NOT_ALLOWED": ErrorKind(
        403, "Host not allowed", "Connect through 127.0.0.1, localhost or [::1]."
    ),
    "ORIGIN_NOT_ALLOWED": ErrorKind(
        403,
        "Origin not allowed",
        "Use the Reelforge app, or start the server with --allow-origin for your frontend.",
    ),
    "UNAUTHORIZED": ErrorKind(
        401,
        "Access token missing or wrong",
        "Send Authorization: Bearer with the token the server was started with.",
    ),
    "SCHEMA_TOO_NEW": ErrorKind(
        500,
        "Database was written by a newer Reelforge",
        "Upgrade Reelforge, or point it at another data directory.",
    ),
    "FFMPEG_MISSING": ErrorKind(
        503,
        "FFmpeg is not available",
        "Reinstall Reelforge, or set REELFORGE_FFMPEG / settings.ffmpegPath to an FFmpeg binary.",
    ),
    "FFMPEG_FAILED": ErrorKind(
        500,
        "FFmpeg failed",
        "Retry the job; if it fails again, run `reelforge doctor` and report its output.",
    ),
    "VOICE_FAILED": ErrorKind(
        500, "Speech synthesis failed", "Choose another voice, or retry the job."
    ),
    "VOICE_NOT_FOUND": ErrorKind(
        422, "Unknown voice", "Pick a voice from `reelforge doctor` or GET /api/voices."
    ),
    "VOICE_INVALID": ErrorKind(
        422,
        "Not a usable Piper voice",
        "Import a Piper voice as its .onnx model together with its .onnx.json config, both "
        "complete and unchanged from the download (`reason` says what is wrong with this one).",
    ),
    "VOICE_EXISTS": ErrorKind(
        409,
        "A voice with this name exists",
        "Import it under another `name`, or delete the old one.",
    ),
    "VOICE_BUILTIN": ErrorKind(
        409, "Built-in voices cannot be deleted", "Only voices you imported can be deleted."
    ),
    "DISK_FULL": ErrorKind(
        507, "Not enough disk space", "Free some disk space, then retry the job."
    ),
    "JOB_INTERRUPTED": ErrorKind(
        500,
        "Job was interrupted",
        "The server stopped while the job ran and could not resume it; retry the job.",
    ),
    "PROJECT_NOT_FOUND": ErrorKind(
        404, "Project not found", "List projects with GET /api/projects."
    ),
    "ASSET_NOT_FOUND": ErrorKind(
        404, "Asset not found", "List a project's assets with GET /api/projects/{id}/assets."
    ),
    "SEGMENT_NOT_FOUND": ErrorKind(
        404, "Segment not found", "Reload the timeline with GET /api/projects/{id}/timeline."
    ),
    "EXPORT_NOT_FOUND": ErrorKind(404, "Export not found", "Start one with POST /api/exports."),
    "VERSION_CONFLICT": ErrorKind(
        409,
        "The timeline changed",
        "Reload the timeline, then apply the edit to the current version.",
    ),
    "NOTHING_TO_UNDO": ErrorKind(409, "Nothing to undo", "The timeline is at its first version."),
    "NOTHING_TO_REDO": ErrorKind(409, "Nothing to redo", "There is no undone edit to redo."),
    "SEGMENT_INACTIVE": ErrorKind(
        409,
        "Segment is not on the timeline",
        "Edit a segment from the current timeline (GET /api/projects/{id}/timeline).",
    ),
    "TIMELINE_EMPTY": ErrorKind(
        409, "The timeline is empty", "Add an asset to the timeline first."
    ),
    "ASSET_IN_USE": ErrorKind(
        409, "Asset is on the timeline", "Delete its segments from the timeline first."
    ),
    "EDIT_OUT_OF_RANGE": ErrorKind(
        422, "Edit out of range", "Use a time inside the range given in `allowed`."
    ),
    "MEDIA_UNREADABLE": ErrorKind(
        422,
        "Not a readable video, image or sound",
        "Upload a complete video file (MP4, MOV, WebM, MKV...) with a video stream, a PNG, "
        "JPEG or WebP image, or a sound (MP3, AAC/M4A, WAV, FLAC, Opus/Ogg).",
    ),
    "DOCUMENT_NOT_FOUND": ErrorKind(
        404, "Document not found", "List documents with GET /api/documents."
    ),
    "DOCUMENT_UNREADABLE": ErrorKind(
        422,
        "Not a usable document",
        "Upload plain text, Markdown, HTML, DOCX or a PDF with a text layer (`reason` says "
        "what is wrong with this one), or paste the text as a source instead.",
    ),
    "SCRIPT_CONFLICT": ErrorKind(
        409,
        "The script changed",
        "Reload the script with GET /api/jobs/{id}/script, then apply the edit to its current "
        "version.",
    ),
    "SCENE_NOT_FOUND": ErrorKind(
        404, "Scene not found", "Read the script with GET /api/jobs/{id}/script for its scenes."
    ),
    "TEXT_NOT_RENDERABLE": ErrorKind(
        422,
        "No font can show this text",
        "Write the text in a script the bundled fonts cover (Latin, Greek, Cyrillic, Arabic, "
        "Hebrew, Chinese, Japanese, Korean), or change the characters listed in `characters`.",
    ),
    "MALFORMED_UPLOAD": ErrorKind(
        400, "Malformed upload", "Send the file as multipart/form-data in a field named `file`."
    ),
    "TEMPLATE_NOT_FOUND": ErrorKind(
        404, "Template not found", "List templates with GET /api/templates."
    ),
    "TEMPLATE_READ_ONLY": ErrorKind(
        409,
        "Built-in templates are read-only",
        "Duplicate it with POST /api/templates (same body, new name) and edit the copy.",
    ),
    "PROVIDER_NOT_FOUND": ErrorKind(
        404, "Provider not found", "List the known providers with GET /api/providers."
    ),
    "KEYRING_UNAVAILABLE": ErrorKind(
        409,
        "No secure keyring to store the key",
        "Send the key per request in the x-api-key header, or set up the OS keyring "
        "(Keychain, Credential Locker, Secret Service) and try again.",
    ),
    "VARIANT_NOT_FOUND": ErrorKind(
        404, "Variant not found", "Read the edit job with GET /api/jobs/{id} for its variants."
    ),
    "VARIANT_STALE": ErrorKind(
        409,
        "Timeline changed since the edit",
        "Undo back to the version the edit was made on, or generate the edit again.",
    ),
    "INTERNAL_ERROR": ErrorKind(
        500, "Internal error", "Retry; if it persists, report the correlationId."
    ),
}


@dataclass(frozen=True)
class WarningKind:
    """A catalogued warning: the job goes on, but the user should know and can do better."""

    title: str
    remediation: str


WARNINGS: dict[str, WarningKind] = {
    "GENERIC_OUTLINE": WarningKind(
        "The script is a generic outline",
        "Add source material to the brief (paste text or upload a document), or start a local "
        "model server (Ollama or LM Studio) or configure an LLM provider, then run it again.",
    ),
    "SOURCE_TOO_SHORT": WarningKind(
        "The sources are shorter than the video",
        "Add more source material, or ask for a shorter video.",
    ),
    "VOICE_FALLBACK": WarningKind(
        "The neural voice could not be used; espeak-ng read the narration",
        "Check the voice in GET /api/voices (re-import it if it was imported), or pick another "
        "voice, then regenerate the affected scenes.",
    ),
    "LLM_FALLBACK": WarningKind(
        "The language model failed; the offline writer wrote the script",
        "Check the provider with POST /api/providers/validate, or carry on with this script.",
    ),
}


class ReelforgeError(Exception):
    """An error with a catalogue code. `detail` is for people; `extra` goes into the problem."""

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}")
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra

    @property
    def kind(self) -> ErrorKind:
        return CATALOGUE[self.code]

    @property
    def status(self) -> int:
        return self.kind.status


def invalid_field(field: str, message: str) -> ReelforgeError:
    """A VALIDATION_FAILED naming one field, as a 422 problem lists it in `errors`."""
    return ReelforgeError(
        "VALIDATION_FAILED", f"{field}: {message}", errors=[{"field": field, "message": message}]
    )


class JobCancelled(Exception):
    """Raised inside a running job when the user cancelled it."""


class StopForReview(Exception):
    """Raised by a job's run when it has done what was asked before a review (the script);
    the job waits in the `review` state until it is continued."""
