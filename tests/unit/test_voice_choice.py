from __future__ import annotations

import pytest

from engine.pipeline.stages import voice_candidates
from engine.registry.manifest import Manifest


def voice(model_id: str, fmt: str) -> Manifest:
    return Manifest.model_validate(
        {
            "id": model_id,
            "family": "voice",
            "role": "primary",
            "path": f"{model_id}.onnx",
            "format": fmt,
            "quant": None,
            "capabilities": ["speak"],
            "revision": "1",
            "checksum_sha256": "0" * 64,
            "adapter": "piper" if fmt == "piper" else "espeak_ng",
            "kind": "tts",
            "languages": ["ru"],
            "source": {"kind": "manual", "url": "https://example.invalid"},
        }
    )


ESPEAK, IRINA, DENIS = voice("espeak-ng-ru", "espeak-ng"), voice("piper-irina", "piper"), voice("piper-denis", "piper")


@pytest.mark.parametrize(
    ("installed", "wanted", "order"),
    [
        ([ESPEAK], "auto", ["espeak-ng-ru"]),  # only the formant voice: it speaks
        ([ESPEAK, IRINA], "auto", ["piper-irina", "espeak-ng-ru"]),  # a Piper voice arrived: it takes over
        ([IRINA, ESPEAK, DENIS], "auto", ["piper-denis", "piper-irina", "espeak-ng-ru"]),
        ([ESPEAK, IRINA], "espeak-ng-ru", ["espeak-ng-ru", "piper-irina", "espeak-ng-ru"]),  # an explicit choice first
        ([], "auto", []),
        ([], "piper-irina", ["piper-irina"]),  # not installed: tried, and its reason reported
    ],
)
def test_voice_candidates(installed: list[Manifest], wanted: str, order: list[str]) -> None:
    assert voice_candidates(installed, wanted) == order
