"""One error hierarchy for the engine.

Every error carries a machine-readable ``code`` and a message written for the user: what went
wrong and what to do. Errors become events at exactly one boundary (the pipeline's turn runner,
the CLI's ``main``), never scattered ``except Exception`` blocks.
"""

from __future__ import annotations


class SovaError(Exception):
    """Base of every error Sova raises on purpose."""

    code: str = "sova_error"
    #: process exit status the CLI uses for this kind of error
    exit_code: int = 1

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ConfigError(SovaError):
    """The configuration file is unreadable or invalid; ``problems`` lists every issue found."""

    code = "config_invalid"
    exit_code = 3

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        self.problems = problems
        text = "invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text, hint=hint)


class ManifestError(SovaError):
    """One or more model manifests are invalid; ``problems`` lists each with its file."""

    code = "manifest_invalid"
    exit_code = 4

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid model manifest(s):\n" + "\n".join(f"  - {p}" for p in problems))


class ModelUnavailableError(SovaError):
    """A model cannot be used: not installed, checksum mismatch, missing runtime package."""

    code = "model_unavailable"
    exit_code = 5


class ModelInstallError(SovaError):
    """Installing or assembling a model failed (download, missing part, checksum)."""

    code = "model_install_failed"
    exit_code = 6


class AudioInputError(SovaError):
    """The audio given is unusable: empty, corrupt, not audio, too short or too long."""

    code = "audio_invalid"
    exit_code = 7


class NoSpeechError(AudioInputError):
    """The audio holds no speech the VAD could find."""

    code = "no_speech"


class AudioDeviceError(SovaError):
    """No microphone or speaker can be opened."""

    code = "audio_device"
    exit_code = 8


class StageError(SovaError):
    """A pipeline stage failed while running (recognition, generation, synthesis...)."""

    code = "stage_failed"
    exit_code = 9

    def __init__(self, stage: str, message: str, *, hint: str | None = None) -> None:
        self.stage = stage
        super().__init__(f"{stage}: {message}", code=f"{stage}_failed", hint=hint)


class TurnCancelled(SovaError):
    """The user interrupted the turn (barge-in or stop)."""

    code = "cancelled"
    exit_code = 130
