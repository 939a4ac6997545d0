"""Source material to script, through a real server: documents become grounded scenes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from tests.support import Server, small_request, wait_status

HONEY = """# How bees make honey

## Foragers collect nectar

A honeybee colony sends out foragers to collect nectar from flowers. A single forager visits
between 50 and 100 flowers on one trip. She carries the nectar home in a special honey stomach
that holds about 40 milligrams. Over her whole life a worker bee makes only about one twelfth
of a teaspoon of honey.

## Enzymes change the sugar

Back at the hive, house bees take the nectar and pass it from bee to bee. An enzyme called
invertase splits the sucrose in the nectar into glucose and fructose. Another enzyme, glucose
oxidase, produces a little hydrogen peroxide, which helps keep the honey free of germs.

## Fanning the water away

Fresh nectar is about 80% water, far too wet to keep. The bees spread it thinly over the cells
of the comb and fan it with their wings. Slowly the water evaporates until the honey holds less
than 18% water. Then the bees seal each cell with a cap of wax, and the honey keeps for years.

## A whole colony's work

A strong colony can store more than 25 kilograms of surplus honey in a good summer. To make one
kilogram, bees fly roughly 150,000 kilometres, almost four times around the Earth. Beekeepers
harvest only the surplus and leave enough honey for the colony to survive the winter.
"""

SOLAR = """# Solar panels at home

## Light into electricity

A solar panel is made of many silicon cells. When sunlight strikes a cell, it knocks electrons
loose and an electric current flows. Typical household panels turn about 20% of the sunlight
that reaches them into electricity.

## Inverters and the grid

Panels make direct current, but homes use alternating current. An inverter converts one into
the other and feeds power to the house. Surplus power can be exported to the grid, and many
utilities pay for it.

## Paying for themselves

A typical home system of 4 kilowatts costs several thousand euros. Lower electricity bills
usually repay that cost in 6 to 10 years. Panels keep working for 25 years or more, losing
only about 0.5% of their output each year.
"""


def add_document(client: httpx.Client, name: str, text: str) -> dict[str, Any]:
    answer = client.post("/api/documents", files={"file": (name, text.encode(), "text/markdown")})
    assert answer.status_code == 201, answer.text
    document: dict[str, Any] = answer.json()
    return document


def reviewed_script(client: httpx.Client, sources: list[dict[str, Any]], **plan: Any) -> Any:
    request = small_request(plan={"targetDurationSec": 30, "stopAfter": "script", **plan})
    request["brief"]["sources"] = sources
    created = client.post("/api/jobs", json=request)
    assert created.status_code == 202, created.text
    job = wait_status(client, created.json()["id"], {"review", "failed"}, 60)
    assert job["status"] == "review", job
    return job, client.get(f"/api/jobs/{job['id']}/script").json()


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}


def test_a_document_becomes_a_grounded_script(server: Server) -> None:
    with server.client() as client:
        honey = add_document(client, "honey.md", HONEY)
        assert honey["title"] == "How bees make honey"
        assert [s["heading"] for s in honey["sections"]][-4:] == [
            "Foragers collect nectar", "Enzymes change the sugar",
            "Fanning the water away", "A whole colony's work",
        ]  # fmt: skip
        job, script = reviewed_script(client, [{"documentId": honey["id"]}])
        assert script["writer"] == "extractive" and script["version"] == 1
        assert not [w for w in job["warnings"] if w["code"] == "GENERIC_OUTLINE"]

        # The headings, in the document's order, title the scenes.
        headings = ["nectar", "enzymes", "fanning", "colony"]
        titles = [s["title"].lower() for s in script["scenes"]]
        found = [next(i for i, t in enumerate(titles) if h in t) for h in headings if
                 any(h in t for t in titles)]  # fmt: skip
        assert len(found) >= 3 and found == sorted(found), titles

        narration = " ".join(s["narration"] for s in script["scenes"])
        assert "80 percent" in narration or "80%" in narration  # the figure, made speakable
        figures = [s["figure"]["value"] for s in script["scenes"] if s["figure"]]
        assert any("80" in f or "18" in f or "25" in f for f in figures), figures
        content = [s for s in script["scenes"] if s["layout"] in ("bullets", "figure")]
        assert content and all(1 <= len(s["bullets"]) <= 4 for s in content)
        assert sum(2 <= len(s["bullets"]) for s in content) >= len(content) / 2

        # Provenance points at real passages of the document.
        text = client.get(f"/api/documents/{honey['id']}/text").json()["text"]
        passages = [p for s in script["scenes"] for p in s["provenance"]]
        assert passages
        for scene in script["scenes"]:
            for p in scene["provenance"]:
                assert p["documentId"] == honey["id"]
                passage = text[p["offset"] : p["offset"] + p["length"]]
                assert passage.strip() and len(words(passage) & words(scene["narration"])) >= 2

        # Another document, another script.
        solar = add_document(client, "solar.md", SOLAR)
        _, other = reviewed_script(client, [{"documentId": solar["id"]}])
        assert {s["title"] for s in other["scenes"]}.isdisjoint(
            {s["title"] for s in script["scenes"] if s["layout"] != "title"}
        )
        assert "silicon" in " ".join(s["narration"] for s in other["scenes"]).lower()


def test_pasted_text_works_like_a_document(server: Server) -> None:
    with server.client() as client:
        _, script = reviewed_script(client, [{"text": SOLAR, "title": "Solar"}])
        assert script["writer"] == "extractive"
        assert any(p["documentId"] is None for s in script["scenes"] for p in s["provenance"])


def test_no_sources_and_no_model_warns_of_a_generic_outline(server: Server) -> None:
    with server.client() as client:
        job, script = reviewed_script(client, [])
        assert script["writer"] == "outline"
        warning = next(w for w in job["warnings"] if w["code"] == "GENERIC_OUTLINE")
        assert "source" in warning["remediation"].lower()


def test_a_missing_document_is_refused_and_nothing_queued(server: Server) -> None:
    with server.client() as client:
        request = small_request()
        request["brief"]["sources"] = [{"documentId": "0" * 32}]
        answer = client.post("/api/jobs", json=request)
        assert answer.status_code == 404 and answer.json()["code"] == "DOCUMENT_NOT_FOUND"
        assert client.get("/api/jobs").json()["jobs"] == []
        both = small_request()
        both["brief"]["sources"] = [{"documentId": "0" * 32, "text": "x"}]
        assert client.post("/api/jobs", json=both).status_code == 422
        assert not list((server.data_dir / "jobs").iterdir())


def test_sample_documents_are_offered(server: Server, tmp_path: Path) -> None:
    with server.client() as client:
        samples = client.get("/api/samples").json()
        assert samples and samples[0]["title"] == "How tides work"
        sample = client.get(samples[0]["url"]).json()
        assert "Bay of Fundy" in sample["text"]
        assert client.get("/api/samples/nope").status_code == 404
