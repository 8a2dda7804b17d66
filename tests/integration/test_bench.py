"""`sova bench` runs end to end and writes the figures it promises (no timing is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main

pytestmark = pytest.mark.models


def test_bench_writes_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert main(["bench", "--turns", "1", "--languages", "en", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    for key in ("v2v_ms", "baseline_v2v_ms", "limit_v2v_ms"):
        assert data[key] > 0
    en = data["en"]
    for key in (
        "stt_ms",
        "stt_rtf",
        "llm_first_token_ms",
        "llm_tokens_per_s",
        "first_sentence_ms",
        "tts_first_audio_ms",
        "tts_rtf",
        "ours_over_baseline",
        "ours_over_limit",
    ):
        assert en[key] > 0, key
    assert en["spread"]["v2v_ms"]["n"] == 1
    assert data["peak_rss_mb"] > 100
    table = capsys.readouterr().out
    assert "voice-to-voice, ours" in table and "ours over limit" in table
