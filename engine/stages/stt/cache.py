"""Transcript cache (seed 13): the same audio through the same model gives the same text.

Keyed by sha256(model id, language, 16 kHz float32 samples). Values are JSON strings, stored raw:
diskcache pickles any other type, and loading a pickle from a folder someone else can write runs
their code (CVE-2025-69872). The folder is kept at mode 0700 and pickled rows are refused on read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from pathlib import Path

import diskcache
import numpy as np

from engine.audio.types import Audio
from engine.safe_cache import no_pickle_disk
from engine.stages.base import Transcript

log = logging.getLogger(__name__)


_RawOnlyDisk = no_pickle_disk(str, "TranscriptCache")


def transcript_key(model_id: str, language: str | None, audio: Audio) -> str:
    """sha256 over the model, the requested language ('auto' when None), the rate and the samples."""
    digest = hashlib.sha256()
    for part in (model_id, language or "auto", str(audio.sample_rate)):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(np.ascontiguousarray(audio.samples, dtype=np.float32).tobytes())
    return digest.hexdigest()


class TranscriptCache:
    """Transcripts on disk, keyed by the audio Whisper saw (pass the 16 kHz input)."""

    def __init__(self, folder: Path, *, size_limit_mb: int = 64) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # mkdir's mode is masked by the umask, and the folder may be old
        self._cache = diskcache.Cache(
            str(self.folder),
            disk=_RawOnlyDisk,
            size_limit=size_limit_mb * 1024 * 1024,
            eviction_policy="least-recently-used",
        )

    def get(self, model_id: str, language: str | None, audio: Audio) -> Transcript | None:
        """The cached transcript, or None (also for an unreadable or foreign entry)."""
        try:
            raw = self._cache.get(transcript_key(model_id, language, audio))
            if raw is None:
                return None
            data = json.loads(raw)
            if data["language"] not in ("ru", "en"):
                raise ValueError(f"unknown language {data['language']!r}")
            return Transcript(
                text=str(data["text"]),
                language=data["language"],
                language_probability=float(data["language_probability"]),
                audio_duration_s=float(data["audio_duration_s"]),
                model_id=str(data["model_id"]),
            )
        except (ValueError, TypeError, KeyError, OSError) as exc:
            log.warning("ignoring a bad transcript cache entry in %s: %s", self.folder, exc)
            return None

    def put(self, language: str | None, audio: Audio, transcript: Transcript) -> None:
        """Remember `transcript` for `audio` transcribed by `transcript.model_id` with `language`."""
        value = json.dumps(dataclasses.asdict(transcript), ensure_ascii=False)
        self._cache.set(transcript_key(transcript.model_id, language, audio), value)

    def __len__(self) -> int:
        return len(self._cache)

    def close(self) -> None:
        """Close the database."""
        self._cache.close()
