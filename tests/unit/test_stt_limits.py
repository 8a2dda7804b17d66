from __future__ import annotations

import pytest

from engine.stages.stt.faster_whisper import max_tokens_for


@pytest.mark.parametrize(
    ("duration_s", "cap"),
    [
        (0.0, 16),
        (1.0, 31),
        (3.2, 64),  # a short question: room for ~3x what anyone says, far below a runaway loop
        (30.0, 440),  # one Whisper window: its own limit
        (120.0, 440),  # long audio is decoded window by window, each under the same cap
    ],
)
def test_transcript_token_cap(duration_s: float, cap: int) -> None:
    assert max_tokens_for(duration_s) == cap
