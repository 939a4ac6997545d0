"""Per-request provider choices from headers (AutoVio's convention).

`x-llm-provider`, `x-tts-provider`, `x-image-provider`, `x-vision-provider` name a provider for
a role, `x-model-id` its model (for every role named in the same request) and `x-api-key` the key
for the providers this request names. The key is handed to the job manager in memory and never
stored, logged or echoed: validation errors quote the header's name, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from reelforge.errors import ReelforgeError
from reelforge.models import JobProviders, JobRequest, ModelId, ProviderChoice, requested_providers
from reelforge.providers import registry
from reelforge.providers.base import Role

ROLE_HEADERS: dict[str, Role] = {
    "x-llm-provider": "llm",
    "x-tts-provider": "tts",
    "x-image-provider": "image",
    "x-vision-provider": "vision",
}
MAX_KEY_LENGTH = 4096


@dataclass(frozen=True)
class ProviderHeaders:
    choices: dict[Role, ProviderChoice] = field(default_factory=dict)
    api_key: str | None = field(default=None, repr=False)

    def merged(self, providers: JobProviders) -> JobProviders:
        """A request body's choices with these headers' choices on top."""
        if not self.choices:
            return providers
        return msgspec.structs.replace(providers, **self.choices)


def _invalid(header: str, message: str) -> ReelforgeError:
    return ReelforgeError(
        "VALIDATION_FAILED",
        f"header {header}: {message}",
        errors=[{"field": header, "message": message}],
    )


def read_provider_headers(headers: Mapping[str, str]) -> ProviderHeaders:
    model = headers.get("x-model-id")
    if model is not None:
        try:
            model = msgspec.convert(model.strip(), ModelId)
        except msgspec.ValidationError:
            raise _invalid("x-model-id", "must be 1 to 200 printable characters") from None
    choices: dict[Role, ProviderChoice] = {}
    for header, role in ROLE_HEADERS.items():
        name = headers.get(header)
        if name is None:
            continue
        name = name.strip().lower()
        if not registry.plays(name, role):
            known = ", ".join(n for n, i in registry.PROVIDERS.items() if role in i.roles)
            raise _invalid(header, f"not a known {role} provider (known: {known})")
        choices[role] = ProviderChoice(provider=name, model=model or None)
    key = headers.get("x-api-key")
    if key is not None:
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not all(0x21 <= ord(c) <= 0x7E for c in key):
            raise _invalid("x-api-key", "must be printable ASCII without spaces")
    return ProviderHeaders(choices=choices, api_key=key or None)


def check_key_scope(
    headers: ProviderHeaders, providers: Mapping[str, ProviderChoice | None]
) -> None:
    """A request's key goes to the providers the request names: they must be one provider.

    One `x-api-key` cannot be meant for OpenAI and ElevenLabs at once, and sending an OpenAI
    key to Google (or to a local server that needs none) would leak it; such a request is
    refused rather than guessed at. Offline providers take no key and do not count.
    """
    if headers.api_key is None:
        return
    named = sorted(
        {
            choice.provider
            for choice in [*providers.values(), *headers.choices.values()]
            if choice is not None and not registry.is_offline(choice.provider)
        }
    )
    if len(named) > 1:
        raise _invalid(
            "x-api-key",
            f"one key cannot serve {', '.join(named)}: name one provider per request, "
            "or store each provider's key in the keyring",
        )


def apply_headers(request: JobRequest, headers: ProviderHeaders) -> JobRequest:
    """A job request with the headers' provider choices on top, its key's scope checked."""
    merged = msgspec.structs.replace(request, providers=headers.merged(request.providers))
    check_key_scope(headers, requested_providers(merged))
    return merged
