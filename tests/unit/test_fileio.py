from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.fileio import read_toml, write_atomic


def test_write_atomic_creates_folders_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "config.toml"
    write_atomic(path, "x = 1\n")
    assert path.read_text() == "x = 1\n"
    write_atomic(path, "юникод = 'да'\n")
    assert path.read_text(encoding="utf-8") == "юникод = 'да'\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]  # no temporary file left


def test_write_atomic_keeps_the_mode_and_a_new_file_is_private(tmp_path: Path) -> None:
    new = tmp_path / "new.toml"
    write_atomic(new, "")
    assert new.stat().st_mode & 0o777 == 0o600
    shared = tmp_path / "shared.toml"
    shared.write_text("old")
    shared.chmod(0o644)
    write_atomic(shared, "new")
    assert shared.stat().st_mode & 0o777 == 0o644


def test_write_atomic_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_write_atomic_failure_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text("old")

    def broken_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_read_toml(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[a]\nb = "c"\n')
    assert read_toml(good) == {"a": {"b": "c"}}
    bad = tmp_path / "bad.toml"
    bad.write_text('[a]\nb = "c"\nd =\n')
    with pytest.raises(ConfigError) as err:
        read_toml(bad)
    assert str(bad) in err.value.problems[0] and "line 3" in err.value.problems[0]
    assert err.value.hint and "sova config check" in err.value.hint
    assert err.value.keys == ("",)
    with pytest.raises(ConfigError, match="file not found"):
        read_toml(tmp_path / "absent.toml")
