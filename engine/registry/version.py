"""Model version notation (seed 10): ``<family>-<size>-<purpose>-<quant>-v<major>.<minor>[.<patch>]``.

Example: ``qwen2.5-7b-instruct-q5_k_m-v1.1``. The family may hold dashes (``gpt-oss``), so the size
segment (``7b``, ``1.5b``, ``135m``, or a named size such as ``mini`` in the seed's
``phi-3.5-mini-instruct-q4_0-v1.0``) anchors the parse: family before it, purpose after it, the
quantisation last before the version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^(?P<stem>.+)-v(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?$")
_SIZE = re.compile(r"^(?:\d+(?:\.\d+)?[kmbt]|tiny|mini|small|base|medium|large)$")
_QUANT = re.compile(r"^(?:q\d[a-z0-9_]*|iq\d[a-z0-9_]*|f16|fp16|bf16|f32|fp32|int8|int4|q4)$")


class VersionIdError(ValueError):
    """The id does not follow the section-10 notation."""


@dataclass(frozen=True, order=True)
class ModelVersion:
    """The ``v<major>.<minor>[.<patch>]`` part; ordered so that newer compares greater."""

    major: int
    minor: int
    patch: int = 0

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}" + (f".{self.patch}" if self.patch else "")


@dataclass(frozen=True)
class VersionId:
    """A parsed model id."""

    family: str
    size: str
    purpose: str
    quant: str
    version: ModelVersion

    @property
    def lineage(self) -> str:
        """The id without its version: two ids of one lineage are versions of one model."""
        parts = [self.family, self.size] + ([self.purpose] if self.purpose else []) + [self.quant]
        return "-".join(parts)


def split_version(model_id: str) -> tuple[str, ModelVersion] | None:
    """Split ``...-vX.Y[.Z]`` into stem and version; None when the id carries no version."""
    m = _VERSION.match(model_id)
    if not m:
        return None
    patch = int(m["patch"]) if m["patch"] else 0
    return m["stem"], ModelVersion(int(m["major"]), int(m["minor"]), patch)


def parse_version_id(model_id: str) -> VersionId:
    """Parse a full section-10 id; raise `VersionIdError` saying which part is wrong."""
    if model_id != model_id.lower():
        raise VersionIdError(f"{model_id!r}: ids are lower case")
    split = split_version(model_id)
    if split is None:
        raise VersionIdError(f"{model_id!r}: must end with -v<major>.<minor> (e.g. -v1.0)")
    stem, version = split
    parts = stem.split("-")
    size_at = next((i for i, p in enumerate(parts) if _SIZE.match(p)), None)
    if size_at is None or size_at == 0:
        raise VersionIdError(f"{model_id!r}: needs <family>-<size> with a size like 7b, 1.5b or 135m")
    if size_at == len(parts) - 1:
        raise VersionIdError(f"{model_id!r}: needs a quantisation after the size (e.g. q4_k_m)")
    quant = parts[-1]
    if not _QUANT.match(quant):
        raise VersionIdError(f"{model_id!r}: {quant!r} is not a quantisation (q4_k_m, q4_0, f16, int8...)")
    return VersionId(
        family="-".join(parts[:size_at]),
        size=parts[size_at],
        purpose="-".join(parts[size_at + 1 : -1]),
        quant=quant,
        version=version,
    )
