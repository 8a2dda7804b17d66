from __future__ import annotations

import pytest

from engine.pipeline.stages import VoiceOption, auto_voice, voice_candidates
from engine.registry.manifest import Manifest

ADAPTERS = {"piper": "piper", "festival": "festival", "espeak-ng": "espeak_ng", "pytorch": "xtts"}


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
            "adapter": ADAPTERS[fmt],
            "kind": "tts",
            "languages": ["ru"],
            "source": {"kind": "manual", "url": "https://example.invalid"},
        }
    )


ESPEAK, IRINA, DENIS = voice("espeak-ng-ru", "espeak-ng"), voice("piper-irina", "piper"), voice("piper-denis", "piper")
FESTIVAL, XTTS = voice("festival-ru", "festival"), voice("xtts", "pytorch")


@pytest.mark.parametrize(
    ("installed", "wanted", "order"),
    [
        ([ESPEAK], "auto", ["espeak-ng-ru"]),  # only the formant voice: it speaks
        ([ESPEAK, FESTIVAL], "auto", ["festival-ru", "espeak-ng-ru"]),  # Festival's packages: it takes over
        ([FESTIVAL, ESPEAK, IRINA], "auto", ["piper-irina", "festival-ru", "espeak-ng-ru"]),  # Piper above both
        ([ESPEAK, IRINA], "auto", ["piper-irina", "espeak-ng-ru"]),
        ([IRINA, ESPEAK, DENIS], "auto", ["piper-denis", "piper-irina", "espeak-ng-ru"]),  # same format: by id
        ([XTTS, ESPEAK, FESTIVAL], "auto", ["festival-ru", "espeak-ng-ru", "xtts"]),  # an unranked format: last
        ([ESPEAK, IRINA], "espeak-ng-ru", ["espeak-ng-ru", "piper-irina", "espeak-ng-ru"]),  # an explicit choice first
        ([FESTIVAL, ESPEAK], "festival-ru", ["festival-ru", "festival-ru", "espeak-ng-ru"]),
        ([], "auto", []),
        ([], "piper-irina", ["piper-irina"]),  # not installed: tried, and its reason reported
    ],
)
def test_voice_candidates(installed: list[Manifest], wanted: str, order: list[str]) -> None:
    assert voice_candidates(installed, wanted) == order


MISSING = "not installed: download it"
APT = "not installed (missing `festival`): run `sudo apt-get install -y festival festvox-ru`"


@pytest.mark.parametrize(
    ("options", "chosen", "first", "why"),
    [
        ([VoiceOption(IRINA), VoiceOption(FESTIVAL), VoiceOption(ESPEAK)], "piper-irina", True, ["the first choice"]),
        (
            [VoiceOption(IRINA, MISSING), VoiceOption(FESTIVAL), VoiceOption(ESPEAK)],
            "festival-ru",
            False,
            ["Festival", "because piper-irina (a neural Piper voice) is not installed: download it"],
        ),
        (
            [VoiceOption(ESPEAK), VoiceOption(FESTIVAL, APT), VoiceOption(IRINA, MISSING)],
            "espeak-ng-ru",
            False,
            ["eSpeak NG", "piper-irina (a neural Piper voice) is not installed", "festival-ru", "apt-get install"],
        ),
        (
            [VoiceOption(FESTIVAL, "unavailable: cannot start Festival"), VoiceOption(ESPEAK)],
            "espeak-ng-ru",
            False,
            ["festival-ru (Festival, unit selection from recordings) is unavailable: cannot start Festival"],
        ),
        ([VoiceOption(FESTIVAL), VoiceOption(XTTS, MISSING)], "festival-ru", True, ["the first choice"]),
        ([VoiceOption(ESPEAK, MISSING)], None, False, ["no ru voice can speak", "espeak-ng-ru: not installed"]),
        ([], None, False, ["no voice manifest"]),
    ],
)
def test_auto_voice_says_which_and_why(
    options: list[VoiceOption], chosen: str | None, first: bool, why: list[str]
) -> None:
    choice = auto_voice("ru", options)
    assert (choice.model_id, choice.first_choice) == (chosen, first)
    for words in why:
        assert words in choice.reason
