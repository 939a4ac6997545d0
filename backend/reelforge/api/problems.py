"""RFC 9457 problem details for every error path, in one place.

Domain errors carry their catalogue code; Litestar's own HTTP errors (404 routing, 405, body
validation, 413) are mapped to catalogue codes here; anything else is logged with its traceback
on our side and answered as a plain INTERNAL_ERROR, never with the traceback.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap, Scope

from reelforge.errors import CATALOGUE, ReelforgeError
from reelforge.store.reserve import is_disk_full

log = logging.getLogger("reelforge.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://reelforge.local/problems/"
CORRELATION_KEY = "reelforge_correlation_id"

_STATUS_CODES = {
    400: "MALFORMED_JSON",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "JOB_STATE_CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    416: "RANGE_NOT_SATISFIABLE",
}


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True, rename="camel"):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    correlation_id: str
    remediation: str | None = None
    errors: list[FieldError] | None = None
    # Extension members (RFC 9457 section 3.2), present only for the codes that set them.
    allowed: dict[str, float] | None = None  # EDIT_OUT_OF_RANGE: the valid {start, end}
    current_version: int | None = None  # VERSION_CONFLICT: the timeline's version now
    limit_bytes: int | None = None  # PAYLOAD_TOO_LARGE: the upload limit
    reason: str | None = None  # DOCUMENT_UNREADABLE: why (not-a-document, encrypted, ...)


EXTENSIONS = {
    "allowed": "allowed",
    "currentVersion": "current_version",
    "limitBytes": "limit_bytes",
    "reason": "reason",
}


def correlation_id(scope: Scope) -> str:
    """The request's correlation id (set by the guard middleware, or made up here)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    value = state.get(CORRELATION_KEY)
    if not value:
        value = uuid.uuid4().hex
        state[CORRELATION_KEY] = value
    return str(value)


def problem_body(
    code: str,
    detail: str,
    *,
    instance: str,
    correlation: str,
    status: int | None = None,
    errors: list[FieldError] | None = None,
) -> Problem:
    kind = CATALOGUE[code]
    return Problem(
        type=TYPE_BASE + code.lower().replace("_", "-"),
        title=kind.title,
        status=status or kind.status,
        detail=detail,
        instance=instance,
        code=code,
        correlation_id=correlation,
        remediation=kind.remediation,
        errors=errors,
    )


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers={"X-Correlation-ID": problem.correlation_id, **(headers or {})},
    )


def _field_errors(extra: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        match = re.search(r"at `\$\.?([^`]*)`", message)
        field = item.get("field") or item.get("key") or (match.group(1) if match else "") or "body"
        message = re.sub(r"\s*-\s*at `[^`]*`", "", message)
        errors.append(FieldError(field=str(field), message=message))
    return errors


def handle_reelforge_error(request: Request[Any, Any, Any], exc: ReelforgeError) -> Response[bytes]:
    headers = {}
    if exc.code == "RANGE_NOT_SATISFIABLE" and "size" in exc.extra:
        headers["Content-Range"] = f"bytes */{exc.extra['size']}"
    errors = exc.extra.get("errors")
    problem = problem_body(
        exc.code,
        exc.detail,
        instance=request.url.path,
        correlation=correlation_id(request.scope),
        errors=_field_errors(errors) if isinstance(errors, list) else None,
    )
    extensions = {attr: exc.extra[key] for key, attr in EXTENSIONS.items() if key in exc.extra}
    return problem_response(msgspec.structs.replace(problem, **extensions), headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    instance, correlation = request.url.path, correlation_id(request.scope)
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc.extra)
        text = " ".join(e.message for e in errors).lower() + " " + str(exc.detail).lower()
        if "malformed" in text or ("json" in text and "decode" in text) or not errors:
            return problem_response(
                problem_body(
                    "MALFORMED_JSON",
                    "the request body is not valid JSON" if errors else str(exc.detail),
                    instance=instance,
                    correlation=correlation,
                )
            )
        return problem_response(
            problem_body(
                "VALIDATION_FAILED",
                "; ".join(f"{e.field}: {e.message}" for e in errors),
                instance=instance,
                correlation=correlation,
                errors=errors,
            )
        )
    code = _STATUS_CODES.get(exc.status_code)
    if code is None:
        code = "INTERNAL_ERROR" if exc.status_code >= 500 else "NOT_FOUND"
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return problem_response(
        problem_body(
            code,
            str(exc.detail),
            instance=instance,
            correlation=correlation,
            status=exc.status_code,
        ),
        headers,
    )


def _decoding_the_body(exc: Exception) -> bool:
    """A UnicodeDecodeError raised while Litestar decoded the JSON body (msgspec only turns
    invalid JSON, not invalid UTF-8, into the ValidationException handled above)."""
    if not isinstance(exc, UnicodeDecodeError):
        return False
    frame = exc.__traceback__
    while frame is not None:
        code = frame.tb_frame.f_code
        if code.co_name == "decode_json" and "litestar" in code.co_filename:
            return True
        frame = frame.tb_next
    return False


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    correlation = correlation_id(request.scope)
    if is_disk_full(exc):  # SQLITE_FULL or ENOSPC from a write no handler expected to fail
        log.warning("disk full (correlation %s): %s", correlation, exc)
        return problem_response(
            problem_body(
                "DISK_FULL",
                "the disk holding the data directory is full",
                instance=request.url.path,
                correlation=correlation,
            )
        )
    if _decoding_the_body(exc):
        return problem_response(
            problem_body(
                "MALFORMED_JSON",
                "the request body is not valid UTF-8, so it is not valid JSON",
                instance=request.url.path,
                correlation=correlation,
            )
        )
    log.exception("unhandled error (correlation %s)", correlation)
    return problem_response(
        problem_body(
            "INTERNAL_ERROR",
            "an unexpected error occurred",
            instance=request.url.path,
            correlation=correlation,
        )
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ReelforgeError: handle_reelforge_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
