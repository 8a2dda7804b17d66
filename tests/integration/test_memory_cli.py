"""`sova memory ...` end to end through `app.cli.main`, with the real embeddings model, in a throw-away data dir."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from engine.memory.store import MemoryStore
from engine.memory.types import NewMemory

pytestmark = pytest.mark.models

E5 = "multilingual-e5-small-q4"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir and a user config that does not exist yet (the repo defaults apply)."""
    data = tmp_path / "data"
    monkeypatch.setenv("SOVA_DATA_DIR", str(data))
    monkeypatch.setenv("SOVA_CONFIG", str(tmp_path / "config.toml"))
    return data


def _seed(data_dir: Path) -> list[int]:
    """Two facts (one replaced by the other) and a Russian one, stored without vectors: reindex makes them."""
    store = MemoryStore(data_dir / "memory.sqlite3")
    kazan = store.add(NewMemory("fact", "I live in Kazan", "en", "I live in Kazan", subject="user.home_city"), None, E5)
    moscow = store.add(
        NewMemory("fact", "The user moved to Moscow", "en", "I moved to Moscow last week", subject="user.home_city"),
        None,
        E5,
    )
    store.supersede(kazan.id, moscow.id)
    sister = store.add(NewMemory("fact", "Мою сестру зовут Ольга", "ru", "Мою сестру зовут Ольга"), None, E5)
    store.close()
    return [kazan.id, moscow.id, sister.id]


def _json(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_list_reindex_search_export_and_forget(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kazan, moscow, sister = _seed(data_dir)
    assert main(["memory", "list", "--json"]) == 0
    rows = _json(capsys)
    assert [r["id"] for r in rows] == [kazan, moscow, sister]
    assert rows[0]["superseded_by"] == moscow and rows[1]["superseded_by"] is None
    assert rows[1]["source_quote"] == "I moved to Moscow last week" and rows[1]["kind"] == "fact"
    assert str(rows[0]["created_at"])[:4].isdigit() and "T" in str(rows[0]["created_at"])
    for key in ("id", "text", "kind", "created_at", "source_quote", "superseded_by", "language", "subject", "entities"):
        assert key in rows[0]

    assert main(["memory", "reindex"]) == 0
    captured = capsys.readouterr()
    assert "re-embedded 3 memories" in captured.out and "100%" in captured.err  # the tqdm bar
    cache = data_dir / "cache" / "embeddings"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    store = MemoryStore(data_dir / "memory.sqlite3")
    ids, matrix = store.vectors(E5)
    store.close()
    assert ids.tolist() == [moscow, sister]  # the superseded one is embedded but never searched
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-4)

    assert main(["memory", "search", "What is my sister called?", "--json"]) == 0
    hits = _json(capsys)
    assert hits[0]["id"] == sister and float(hits[0]["score"]) > 0  # type: ignore[arg-type]
    assert main(["memory", "search", "Как зовут мою сестру?"]) == 0
    assert "Мою сестру зовут Ольга" in capsys.readouterr().out

    out = data_dir / "export.json"
    assert main(["memory", "export", str(out)]) == 0
    assert [r["id"] for r in json.loads(out.read_text())] == [kazan, moscow, sister]
    capsys.readouterr()

    assert main(["memory", "forget", str(sister)]) == 0
    assert f"forgot memory #{sister}" in capsys.readouterr().out
    assert main(["memory", "search", "What is my sister called?", "--json"]) == 0
    assert sister not in [r["id"] for r in _json(capsys)]
    assert main(["memory", "forget", str(sister)]) == 1  # already gone: a clear error
    assert f"no memory #{sister}" in capsys.readouterr().err
    assert main(["memory", "forget", "--all"]) == 0
    assert "forgot 2 memories" in capsys.readouterr().out
    assert main(["memory", "list"]) == 0
    assert "nothing is stored yet" in capsys.readouterr().out


def test_memory_off_still_lists_what_was_stored(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(data_dir)
    (tmp_path / "config.toml").write_text("[memory]\nenabled = false\n")
    assert main(["memory", "list"]) == 0
    captured = capsys.readouterr()
    assert "memory is off" in captured.err and "Мою сестру зовут Ольга" in captured.out


def test_a_damaged_memory_file_is_a_clear_error_and_is_kept(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "memory.sqlite3").write_bytes(b"garbage" * 1000)
    assert main(["memory", "list"]) != 0
    err = capsys.readouterr().err
    assert "memory.sqlite3" in err and "damaged" in err and "->" in err  # the message and its hint
    assert (data_dir / "memory.sqlite3").read_bytes().startswith(b"garbage")
