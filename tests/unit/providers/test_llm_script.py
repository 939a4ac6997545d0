"""Script writing with a model: sizing, validation, one repair round, normalisation."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from tests.fakes.ai_server import Behaviour, FakeAIServer

from reelforge.models import Brief, Plan
from reelforge.providers.base import ChatMessage, ProviderConfig, ProviderError
from reelforge.providers.llm_script import target_words, write_script_with_llm
from reelforge.providers.offline_writer import TITLE_MAX_CHARS, estimate_duration, scene_count
from reelforge.providers.openai_compat import OpenAICompatible

BRIEF = Brief(topic="why the sky is blue", audience="kids", goal="teach", tone="friendly")
PLAN = Plan(target_duration_sec=30)
WPM = 160


def _answer(scenes: int = 3, **extra: object) -> str:
    value: dict[str, object] = {
        "title": "  Why the\nsky is blue ",
        "scenes": [
            {
                "title": f"Scene {i + 1}",
                "narration": f"Sunlight is made of many colours. Dr. Rayleigh explained it in "
                f"1871, e.g. with maths. Blue light scatters about 5.5 times more! Scene {i + 1}.",
                "visual": f"A sunny sky, panel {i + 1}.",
            }
            for i in range(scenes)
        ],
    }
    value.update(extra)
    return json.dumps(value)


class FakeLLM:
    """An LLM that answers from a list and records what it was sent."""

    name = "fake-llm"
    model = "fake-1"

    def __init__(self, answers: Sequence[str | ProviderError]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[list[ChatMessage], bool, int]] = []

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool = False, max_tokens: int = 2048
    ) -> str:
        self.calls.append((list(messages), json, max_tokens))
        answer = self.answers.pop(0)
        if isinstance(answer, ProviderError):
            raise answer
        return answer


def test_target_words_leaves_room_for_pauses() -> None:
    scenes = scene_count(PLAN)
    words = target_words(PLAN, WPM, scenes)
    assert 0.75 * 30 * WPM / 60 < words < 30 * WPM / 60


@pytest.mark.anyio
async def test_valid_answer_becomes_a_script() -> None:
    llm = FakeLLM([_answer()])
    script = await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert script.title == "Why the sky is blue"
    assert script.words_per_minute == WPM
    assert len(script.scenes) == 3
    first = script.scenes[0]
    assert first.index == 0 and first.title == "Scene 1"
    assert first.sentences == [
        "Sunlight is made of many colours.",
        "Dr. Rayleigh explained it in 1871, e.g. with maths.",
        "Blue light scatters about 5.5 times more!",
        "Scene 1.",
    ]
    assert first.narration == " ".join(first.sentences)
    assert first.image_prompt == "A sunny sky, panel 1."
    assert script.estimated_duration_sec == round(estimate_duration(script.scenes, WPM), 2)
    assert [s.index for s in script.scenes] == [0, 1, 2]

    ((messages, json_mode, max_tokens),) = llm.calls
    assert json_mode and max_tokens >= 2048
    prompt = messages[-1].content
    assert f"Write {scene_count(PLAN)} scenes" in prompt
    assert f"about {target_words(PLAN, WPM, scene_count(PLAN))} words" in prompt
    for value in ("why the sky is blue", "kids", "teach", "friendly", '"en"'):
        assert value in prompt


@pytest.mark.anyio
async def test_fenced_json_is_accepted() -> None:
    llm = FakeLLM([f"```json\n{_answer()}\n```"])
    script = await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert len(script.scenes) == 3
    assert len(llm.calls) == 1


@pytest.mark.anyio
async def test_json_with_chatter_is_accepted() -> None:
    llm = FakeLLM([f"Here is your script:\n{_answer()}\nEnjoy!"])
    script = await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert len(script.scenes) == 3


@pytest.mark.anyio
async def test_long_titles_are_shortened() -> None:
    answer = json.loads(_answer(1))
    answer["scenes"][0]["title"] = "A very long scene title that goes on and on about light"
    llm = FakeLLM([json.dumps(answer)])
    script = await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    title = script.scenes[0].title
    assert len(title) <= TITLE_MAX_CHARS
    assert title.endswith("…")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "bad",
    [
        "Sorry, I can't do JSON.",
        '{"title": "x", "scenes": []}',
        '{"title": "x", "scenes": [{"title": "a", "narration": "b"}]}',
        '{"title": "x", "scenes": [{"title": "a", "narration": " \\n ", "visual": "c"}]}',
        '{"title": "x", "scenes": [{"title": "a", "narration": "b", "visual": "c"}',
    ],
)
async def test_one_repair_then_success(bad: str) -> None:
    llm = FakeLLM([bad, _answer(2)])
    script = await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert len(script.scenes) == 2
    assert len(llm.calls) == 2
    first, _, _ = llm.calls[0]
    repair, json_mode, _ = llm.calls[1]
    assert json_mode
    assert repair[: len(first)] == first
    assert repair[len(first)] == ChatMessage(role="assistant", content=bad)
    assert repair[-1].role == "user"
    assert "cannot be used" in repair[-1].content
    assert "corrected JSON" in repair[-1].content


@pytest.mark.anyio
async def test_two_bad_answers_are_a_bad_response() -> None:
    llm = FakeLLM(["not json", '{"title": "only a title"}'])
    with pytest.raises(ProviderError) as caught:
        await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert caught.value.kind == "bad_response"
    assert caught.value.provider == "fake-llm"
    assert len(llm.calls) == 2


@pytest.mark.anyio
async def test_provider_errors_propagate_unchanged() -> None:
    error = ProviderError("fake-llm", "HTTP 429", kind="rate_limit", status=429)
    llm = FakeLLM([error])
    with pytest.raises(ProviderError) as caught:
        await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert caught.value is error


@pytest.mark.anyio
async def test_provider_error_during_repair_propagates() -> None:
    error = ProviderError("fake-llm", "down", kind="unavailable")
    llm = FakeLLM(["not json", error])
    with pytest.raises(ProviderError) as caught:
        await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert caught.value is error


@pytest.mark.anyio
async def test_rejects_non_positive_rate() -> None:
    with pytest.raises(ValueError, match="words_per_minute"):
        await write_script_with_llm(FakeLLM([]), BRIEF, PLAN, words_per_minute=0)


@pytest.mark.anyio
async def test_with_a_real_provider_and_a_repair(fake: FakeAIServer) -> None:
    fake.chat_answer = _answer()
    fake.script("POST /v1/chat/completions", [Behaviour.ok(text="{oops")])
    llm = OpenAICompatible(
        ProviderConfig(name="openai", base_url=fake.openai_base, api_key="k", backoff_sec=0.01)
    )
    script = await write_script_with_llm(llm, BRIEF, PLAN, words_per_minute=WPM)
    assert len(script.scenes) == 3
    first, second = fake.requests
    assert first.json["response_format"] == {"type": "json_object"}
    assert second.json["messages"][-2] == {"role": "assistant", "content": "{oops"}
