"""Promotion: a measured candidate becomes a role's active model, crash-safely.

Every step writes a whole file and renames it into place (`os.replace`, fsync'd), and a journal
(`<models>/active/journal.json`, "promoting X over Y") is on disk before the first step and gone
after the last. The commit point is the atomic pointer `<models>/active/state.json`:

1. journal written;  2. the staged file renamed onto the manifest's path (same file system);
3. its sha256 pinned and recorded as verified;  4. **the pointer names the candidate (commit)**;
5. the user's config names it (`[llm.<role>] id`, comments kept);  6. journal removed; staging cleaned.

A crash or kill -9 anywhere leaves the journal, and `recover()` (run when the registry opens)
finishes the promotion when the candidate's complete file is on disk (staged or placed), or undoes
it otherwise. Before step 4 the config names the old model, whose file was never touched; after
step 2 the new file is complete at its path: so exactly one complete active model, never a mix.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tomlkit

from engine.errors import ConfigError, ModelInstallError
from engine.fileio import read_toml, write_atomic
from engine.registry.active import LLM_ROLE_KEYS, active_dir, staging_dir
from engine.registry.checksum import file_sha256, path_fingerprint
from engine.registry.manifest import Role
from engine.registry.registry import VerificationStore

log = logging.getLogger(__name__)

#: called with each step's name once it is durable (tests pause or kill the process there)
Hook = Callable[[str], None]
STEPS = ("journal", "placed", "verified", "pointer", "config", "done")

JOURNAL = "journal.json"
STATE = "state.json"
LOCK = ".lock"


def _no_hook(_step: str) -> None:
    return None


@dataclass(frozen=True)
class Promotion:
    """What one promotion changes; the journal is this, as JSON."""

    txn: str
    role: Role
    candidate_id: str
    sha256: str
    size: int
    revision: str
    staged: str  # the verified candidate under models/staging/<txn>/
    dest: str  # the manifest's path, where the registry loads it from
    pin: str | None  # where the sha256 is pinned when the manifest carries none
    verified_store: str  # the registry's verification records (state/verified.json)
    config_file: str  # the user's config: never the repo's defaults
    baseline_id: str | None


class UpdateLock:
    """One update at a time per models folder (an advisory lock the kernel drops if the process dies)."""

    def __init__(self, models_dir: Path) -> None:
        self._path = active_dir(models_dir) / LOCK
        self._fd: int | None = None

    def acquire(self, *, wait: bool = False) -> bool:
        """Take the lock; False (when not `wait`) if another process holds it."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Let the next update in."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The lock for a block; ModelInstallError when another update runs."""
        if not self.acquire():
            raise ModelInstallError(
                "another `sova models update` is running on this models folder",
                hint="wait for it to finish, then run the command again",
            )
        try:
            yield
        finally:
            self.release()


def read_state(models_dir: Path) -> dict[str, Any]:
    """The pointer: {"roles": {role: {id, sha256, revision, path, txn, promoted_at, previous}}}."""
    try:
        data = json.loads((active_dir(models_dir) / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"roles": {}}
    return data if isinstance(data, dict) and isinstance(data.get("roles"), dict) else {"roles": {}}


def read_journal(models_dir: Path) -> Promotion | None:
    """The promotion in flight, if a process stopped in the middle of one."""
    try:
        data = json.loads((active_dir(models_dir) / JOURNAL).read_text(encoding="utf-8"))
        return Promotion(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        # write_atomic never leaves half a journal: this one was edited by hand
        log.warning("unreadable promotion journal in %s (%s): set aside", active_dir(models_dir), exc)
        return None


def check_config_editable(config_file: Path) -> None:
    """ConfigError now (before anything changes) if the user's config cannot be parsed and rewritten."""
    if config_file.exists():
        read_toml(config_file)
        tomlkit.parse(config_file.read_text(encoding="utf-8"))


def set_config_model(config_file: Path, key: tuple[str, ...], model_id: str) -> bool:
    """Make the user's config name `model_id` at `key`, keeping its comments; False when it already does."""
    text = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    doc = tomlkit.parse(text)
    node: MutableMapping[str, Any] = doc
    for i, part in enumerate(key[:-1]):
        child = node.get(part)
        if child is None:
            # a parent table with only sub-tables renders as `[llm.primary]`, not an empty `[llm]`
            child = tomlkit.table(is_super_table=i < len(key) - 2)
            node[part] = child
            child = node[part]
        if not isinstance(child, MutableMapping):
            raise ConfigError([f"{config_file}: {'.'.join(key[: i + 1])}: not a table"], keys=(".".join(key),))
        node = child
    if node.get(key[-1]) == model_id:
        return False
    node[key[-1]] = model_id
    write_atomic(config_file, tomlkit.dumps(doc))
    return True


def promote(models_dir: Path, promotion: Promotion, hook: Hook = _no_hook) -> None:
    """Run the steps of the module docstring; the caller holds the `UpdateLock`."""
    check_config_editable(Path(promotion.config_file))
    folder = active_dir(models_dir)
    write_atomic(folder / JOURNAL, json.dumps(asdict(promotion), indent=1))
    hook("journal")
    _finish(models_dir, promotion, hook)


def _finish(models_dir: Path, p: Promotion, hook: Hook) -> None:
    """Steps 2-6, each idempotent so that recovery can run them again from any point."""
    staged, dest = Path(p.staged), Path(p.dest)
    if staged.exists():
        _place(staged, dest, p.sha256)
    hook("placed")
    if p.pin:
        write_atomic(Path(p.pin), p.sha256 + "\n")
    VerificationStore(Path(p.verified_store)).put(dest, path_fingerprint(dest), p.sha256)
    hook("verified")
    state = read_state(models_dir)
    state["roles"][p.role] = {
        "id": p.candidate_id,
        "sha256": p.sha256,
        "revision": p.revision,
        "path": p.dest,
        "txn": p.txn,
        "promoted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "previous": p.baseline_id,
    }
    write_atomic(active_dir(models_dir) / STATE, json.dumps(state, indent=1, sort_keys=True))
    hook("pointer")
    set_config_model(Path(p.config_file), LLM_ROLE_KEYS[p.role], p.candidate_id)
    hook("config")
    (active_dir(models_dir) / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(active_dir(models_dir))
    hook("done")
    shutil.rmtree(staging_dir(models_dir) / p.txn, ignore_errors=True)


def _place(staged: Path, dest: Path, sha256: str) -> None:
    """Rename the verified file onto the manifest's path; an identical file already there is kept."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file() and dest.stat().st_size == staged.stat().st_size and file_sha256(dest) == sha256:
        staged.unlink()  # re-staging the active model: keep its file (and its mtime-based record)
        return
    os.replace(staged, dest)  # same file system (both under the models folder): atomic
    _fsync_dir(dest.parent)


def _candidate_on_disk(p: Promotion) -> bool:
    staged, dest = Path(p.staged), Path(p.dest)
    if staged.is_file():
        return staged.stat().st_size == p.size
    return dest.is_file() and dest.stat().st_size == p.size and file_sha256(dest) == p.sha256


def recover(models_dir: Path, hook: Hook = _no_hook) -> str | None:
    """Resolve a promotion a crash left half done; clean stale staging. Returns what was done, or None.

    Skipped while another process holds the update lock (its update is still running).
    """
    folder = active_dir(models_dir)
    if not (folder / JOURNAL).exists() and not staging_dir(models_dir).exists():
        return None
    lock = UpdateLock(models_dir)
    if not lock.acquire():
        return None
    try:
        journal = read_journal(models_dir)
        done: str | None = None
        if journal is not None:
            if _candidate_on_disk(journal):
                _finish(models_dir, journal, hook)
                done = f"finished promoting {journal.candidate_id} as {journal.role} (interrupted before)"
            else:
                (folder / JOURNAL).unlink(missing_ok=True)
                done = f"undid the interrupted promotion of {journal.candidate_id}: {journal.baseline_id} stays"
            log.warning("%s", done)
        _clean_staging(models_dir)
        return done
    finally:
        lock.release()


def _clean_staging(models_dir: Path) -> None:
    # only called under the lock with no journal left: whatever is staged belongs to a dead update
    root = staging_dir(models_dir)
    if root.is_dir():
        for entry in root.iterdir():
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
