"""One error hierarchy for the engine, with one enum of machine-readable codes.

Every error carries a ``code`` (an `ErrorCode`) and a message written for the user: what went wrong
and what to do. Errors become events at exactly one boundary (the assistant's turn, the CLI's
``main``), never scattered ``except Exception`` blocks. Every error class of the project lives here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class ErrorCode(StrEnum):
    """Every code an error (and so a `TurnFailed` event or a CLI failure) can carry."""

    SOVA = "sova_error"
    CONFIG_INVALID = "config_invalid"
    MANIFEST_INVALID = "manifest_invalid"
    MODEL_UNAVAILABLE = "model_unavailable"
    MODEL_NOT_LOADED = "model_not_loaded"
    MODEL_INSTALL_FAILED = "model_install_failed"
    AUDIO_INVALID = "audio_invalid"
    AUDIO_EMPTY = "audio_empty"
    AUDIO_TOO_LONG = "audio_too_long"
    AUDIO_UNREADABLE = "audio_unreadable"
    AUDIO_MISSING = "audio_missing"
    NO_SPEECH = "no_speech"
    AUDIO_DEVICE = "audio_device"
    VAD_FAILED = "vad_failed"
    STT_FAILED = "stt_failed"
    EMOTION_FAILED = "emotion_failed"
    EMBEDDINGS_FAILED = "embeddings_failed"
    LLM_FAILED = "llm_failed"
    TTS_FAILED = "tts_failed"
    SINK_FAILED = "sink_failed"
    MOE_FAILED = "moe_failed"
    TURN_FAILED = "turn_failed"
    CANCELLED = "cancelled"
    NOT_STARTED = "not_started"
    CLOSING = "closing"
    TASK_TIMEOUT = "task_timeout"
    BUDGET_EXCEEDED = "budget_exceeded"
    HISTORY_FAILED = "history_failed"
    METRICS_PORT = "metrics_port"
    METRICS_UNREACHABLE = "metrics_unreachable"


#: the stages whose failures `StageError` names (its code is `<stage>_failed`)
Stage = Literal["vad", "stt", "emotion", "embeddings", "llm", "tts", "sink", "moe", "turn"]


class SovaError(Exception):
    """Base of every error Sova raises on purpose."""

    code: ErrorCode = ErrorCode.SOVA
    #: process exit status the CLI uses for this kind of error
    exit_code: int = 1

    def __init__(self, message: str, *, code: ErrorCode | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ConfigError(SovaError):
    """The configuration file is unreadable or invalid; ``problems`` lists every issue found.

    ``keys`` is parallel to ``problems``: the dotted config key each one is about ("llm.primary.id"),
    or "" when it is about no key (an unreadable file).
    """

    code = ErrorCode.CONFIG_INVALID
    exit_code = 3

    def __init__(self, problems: list[str], *, hint: str | None = None, keys: tuple[str, ...] | None = None) -> None:
        self.problems = problems
        self.keys: tuple[str, ...] = keys if keys is not None else ("",) * len(problems)
        if len(self.keys) != len(problems):
            raise ValueError("ConfigError: keys must be parallel to problems")
        text = "invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text, hint=hint)


class ManifestError(SovaError):
    """One or more model manifests are invalid; ``problems`` lists each with its file."""

    code = ErrorCode.MANIFEST_INVALID
    exit_code = 4

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid model manifest(s):\n" + "\n".join(f"  - {p}" for p in problems))


class ModelUnavailableError(SovaError):
    """A model cannot be used: not installed, checksum mismatch, missing runtime package."""

    code = ErrorCode.MODEL_UNAVAILABLE
    exit_code = 5


class ModelInstallError(SovaError):
    """Installing or assembling a model failed (download, missing part, checksum)."""

    code = ErrorCode.MODEL_INSTALL_FAILED
    exit_code = 6


class AudioInputError(SovaError):
    """The audio given is unusable: empty, corrupt, not audio, too short or too long."""

    code = ErrorCode.AUDIO_INVALID
    exit_code = 7


class NoSpeechError(AudioInputError):
    """The audio holds no speech the VAD could find."""

    code = ErrorCode.NO_SPEECH


class AudioDeviceError(SovaError):
    """No microphone or speaker can be opened."""

    code = ErrorCode.AUDIO_DEVICE
    exit_code = 8


class StageError(SovaError):
    """A pipeline stage failed while running (recognition, generation, synthesis...)."""

    code = ErrorCode.TURN_FAILED
    exit_code = 9

    def __init__(self, stage: Stage, message: str, *, hint: str | None = None) -> None:
        self.stage = stage
        super().__init__(f"{stage}: {message}", code=ErrorCode(f"{stage}_failed"), hint=hint)


class TurnCancelled(SovaError):
    """The turn was stopped (barge-in, or the task was cancelled) before it could finish."""

    code = ErrorCode.CANCELLED
    exit_code = 130


class TaskTimeout(SovaError):
    """A task ran past its time limit; its device lease was taken back."""

    code = ErrorCode.TASK_TIMEOUT
    exit_code = 10


class BudgetExceeded(SovaError):
    """A model does not fit in the memory budget."""

    code = ErrorCode.BUDGET_EXCEEDED
    exit_code = 11


class HistoryError(SovaError):
    """The history database cannot be opened or written."""

    code = ErrorCode.HISTORY_FAILED
