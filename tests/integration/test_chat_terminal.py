"""`sova chat`, the terminal mode, as a user runs it: a real process, typed lines in, the real models."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

CONFIG = """
[llm.primary]
id = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"
max_output_tokens = 24
temperature = 0.0
context_length = 2048
[llm.lightweight]
max_output_tokens = 24
context_length = 2048
[memory]
enabled = false
[tools]
notifications = false
"""


class Terminal:
    """A `sova chat` process whose output is collected by a thread."""

    def __init__(self, tmp_path: Path) -> None:
        (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
        env = {**os.environ, "SOVA_CONFIG": str(tmp_path / "config.toml"), "SOVA_DATA_DIR": str(tmp_path / "data")}
        self.out_dir = tmp_path / "out"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))",
             "chat", "--out", str(self.out_dir)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.output = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for chunk in iter(lambda: self.proc.stdout.read(1), ""):  # type: ignore[union-attr]
            self.output += chunk

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        """Kill the process if it still runs, and close its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=60)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()

    def wait_for(self, text: str, timeout_s: float, after: int = 0) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output[after:]:
            assert self.proc.poll() is None, f"sova chat exited: {self.output[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} in {timeout_s:.0f} s: {self.output[-3000:]}"
            time.sleep(0.2)


@pytest.mark.models
@pytest.mark.slow
def test_a_reminder_set_in_the_terminal_is_shown_and_spoken_when_due(tmp_path: Path) -> None:
    term = Terminal(tmp_path)
    try:
        term.wait_for("you> ", 600)
        term.type("Напомни через 5 секунд выпить воды")
        term.wait_for("sova> ", 60)
        term.wait_for("(reminder: ", 600)
        shown = term.output[term.output.index("(reminder: ") :]
        assert "выпить воды" in shown.splitlines()[0], shown
        # the announcement is spoken through its own sink: with --out, a WAV file beside the replies
        deadline = time.monotonic() + 120
        while not list(term.out_dir.glob("reminder-*.wav")) and time.monotonic() < deadline:
            time.sleep(0.2)
        (spoken,) = term.out_dir.glob("reminder-*.wav")
        term.type("/quit")
        assert term.proc.wait(timeout=300) == 0, term.output[-3000:]
        assert spoken.stat().st_size > 10_000  # a sentence of speech, not an empty header
    finally:
        term.close()
