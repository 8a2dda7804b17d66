"""Festival voices (Debian `festival` + `festvox-ru`) through one persistent `festival --pipe` process.

Started per call Festival costs 1-2 s a sentence (STACK.md); kept alive, it loads the Russian
unit-selection voice once (~0.5 s) and then speaks a sentence in ~30-80 ms. Each sentence is
one Scheme command that saves a WAV into a private temporary folder; the WAV is read back with the
sample rate it carries. Festival buffers its stdout on a pipe but not its stderr, so every command
ends with a marker written to stderr, and what Festival complains about in between is the error text.

Festival aborts a whole command when a word holds a character its letter-to-sound rules lack (an em
dash, guillemets, a stand-alone comma) and writes no audio: `festival_text` rewrites what it cannot say.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
import weakref
from pathlib import Path
from typing import IO

import numpy as np
import soundfile as sf

from engine.audio.types import Audio
from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.options import TTSOptions, options_for

_LOG = logging.getLogger(__name__)

_INSTALL_HINT = "run packaging/bootstrap.sh, or `sudo apt-get install -y festival festvox-ru`"
_VOICE_NAME = re.compile(r"^[a-z0-9_]+$")  # it becomes a Scheme symbol: nothing else may reach the command
_START_TIMEOUT_S = 60.0  # loading the voice reads ~240 MB: slow on a cold, busy disk
_SENTENCE_TIMEOUT_S = 60.0

# -- what Festival can say ------------------------------------------------------------------------

_DASHES = "\u2014\u2013\u2015\u2012\u2212\u2010\u2011"  # em, en, bar, figure, minus, hyphen, non-breaking
_DROPPED_QUOTES = '"«»“”„‟‹›‚'  # quotation marks are not spoken; '"' would also end the Scheme string
_APOSTROPHES = "‘’ʼ`´"  # Festival reads only the ASCII apostrophe (as a word-internal break)
_BRACKETS = {"[": "(", "{": "(", "]": ")", "}": ")"}
# what the Russian voice's letter-to-sound rules know, and the punctuation Festival's tokenizer strips
_LETTERS = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяabcdefghijklmnopqrstuvwxyz0123456789")
_PUNCTUATION = set(".,!?:;-'()")
_PREPUNCTUATION = "('"  # may start a word (Festival's token.prepunctuation, less the dropped quotes)
_POSTPUNCTUATION = ".,!?:;)'"  # may end a word (token.punctuation)
_MID_WORD_BREAK = re.compile(r"(?<=\w)([.,!?:;()])(?=\w)")  # "да,нет", "3.5": Festival reads one word


def _is_letter(ch: str) -> bool:
    return ch.lower() in _LETTERS


def _latin_base(ch: str) -> str:
    """'é' -> 'e': a Latin letter with marks loses them; anything else that Festival lacks -> ''."""
    if not unicodedata.category(ch).startswith("L"):
        return ""
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(c.isascii() and _is_letter(c) for c in base) else ""


def _map_char(ch: str) -> str:
    if _is_letter(ch) or ch in _PUNCTUATION:
        return ch
    if ch.isspace():
        return " "
    if unicodedata.combining(ch):
        return ""  # a stress mark ("за́мок") or another accent NFC could not fold into its letter
    if ch in _DASHES:
        return "-"
    if ch == "…":
        return "..."
    if ch in _APOSTROPHES:
        return "'"
    if ch in _BRACKETS:
        return _BRACKETS[ch]
    if ch in _DROPPED_QUOTES:
        return " "
    return _latin_base(ch) or " "


def _pause_of(token: str) -> str:
    """The pause a token of punctuation alone stands for ("" for brackets and apostrophes)."""
    for strong in ".!?":
        if strong in token:
            return strong
    return "," if any(c in ",;:-" for c in token) else ""


def _trim_word(token: str) -> str:
    """Punctuation only where Festival's tokenizer strips it: a few leading marks, trailing ones."""
    start = 0
    while start < len(token) and not _is_letter(token[start]) and token[start] != "-":
        start += 1
    lead = "".join(c for c in token[:start] if c in _PREPUNCTUATION)
    end = len(token)
    while end > start and not _is_letter(token[end - 1]) and token[end - 1] != "-":
        end -= 1
    tail = "".join(c for c in token[end:] if c in _POSTPUNCTUATION)
    return lead + token[start:end] + tail


def festival_text(text: str) -> str:
    """`text` rewritten into what Festival's Russian voice can say ("" when nothing is left to say).

    Dashes become hyphens inside a word and a comma between words, quotation marks go, "…" is
    "...", a Latin letter loses its accents, any other character outside the voice's alphabet
    (Cyrillic, Latin, digits) and plain punctuation becomes a space; punctuation standing alone is
    joined to the word before it, punctuation inside a word gets a space after it. Numbers stay as
    digits (spelling them out is the text normaliser's job).
    """
    mapped = "".join(_map_char(ch) for ch in unicodedata.normalize("NFC", text))
    words: list[str] = []
    for token in _MID_WORD_BREAK.sub(r"\1 ", mapped).split():
        if not any(_is_letter(c) for c in token):
            pause = _pause_of(token)
            if pause and words and words[-1][-1] not in _POSTPUNCTUATION:
                words[-1] += pause
            continue
        words.append(_trim_word(token))
    return " ".join(words)


def scheme_string(text: str) -> str:
    """`text` as a Scheme string literal (backslash and double quote escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the process ----------------------------------------------------------------------------------

_REQUESTS = itertools.count(1)


def _pump(stream: IO[bytes], lines: queue.Queue[str | None]) -> None:
    """Move Festival's stderr lines onto `lines`, then None at its end.

    A module function: a thread holding the `_Festival` would keep a dropped voice's process alive.
    """
    with stream:
        for raw in stream:
            lines.put(raw.decode("utf-8", errors="replace").rstrip("\n"))
    lines.put(None)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask Festival to quit; kill it if it has not within a second."""
    try:
        if proc.poll() is None and proc.stdin:
            proc.stdin.write(b"(quit)\n")
            proc.stdin.flush()
        proc.wait(timeout=1.0)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
    finally:
        if proc.stdin:
            with contextlib.suppress(OSError):  # a dead reader: the close still releases the pipe
                proc.stdin.close()


class _Festival:
    """One running `festival --pipe` that has loaded the voice (`setup`)."""

    def __init__(self, binary: str, setup: str, timeout_s: float) -> None:
        try:
            self.proc = subprocess.Popen(
                [binary, "--pipe"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,  # buffered on a pipe and never needed: the markers go to stderr
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise StageError(
                "tts", f"cannot start Festival ({binary}): {exc.strerror or exc}", hint=_INSTALL_HINT
            ) from exc
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.proc.stderr is not None and self.proc.stdin is not None
        threading.Thread(target=_pump, args=(self.proc.stderr, self.lines), name="sova-festival", daemon=True).start()
        # stops the process when this object is dropped or at exit, whatever happened before
        self.close = weakref.finalize(self, _stop, self.proc)
        try:
            ok, said = self.run(setup, timeout_s)
        except (BrokenPipeError, TimeoutError) as exc:
            ok, said = False, str(exc)
        if not ok:
            self.close()
            raise StageError(
                "tts", f"Festival could not load the voice: {said or 'no reason given'}", hint=_INSTALL_HINT
            )

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.proc.poll() is None

    def run(self, command: str, timeout_s: float) -> tuple[bool, str]:
        """Evaluate `command` (Scheme forms); (whether all of it ran, what Festival said on stderr meanwhile).

        Raises `BrokenPipeError` when the process is gone, `TimeoutError` when it does not answer.
        """
        n = next(_REQUESTS)
        # `begin` stops at the first error, so OK is printed only when everything ran; END always is
        script = f'(begin {command} (format stderr "SOVA-OK {n}\\n"))\n(format stderr "SOVA-END {n}\\n")\n'
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(script.encode("utf-8"))
            stdin.flush()
        except (OSError, ValueError) as exc:  # a broken pipe, or stdin already closed
            raise BrokenPipeError("Festival is not running") from exc
        said: list[str] = []
        ok = False
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"Festival did not answer within {timeout_s:.0f} s") from None
            if line is None:
                raise BrokenPipeError("Festival exited" + (f": {said[-1].strip()}" if said else ""))
            if line == f"SOVA-OK {n}":
                ok = True
            elif line == f"SOVA-END {n}":
                return ok, " ".join(s.strip() for s in said if s.strip())
            elif not line.startswith("SOVA-"):
                said.append(line)


class FestivalSynthesizer:
    """One Festival voice in one persistent process; implements `SpeechSynthesizer`.

    One sentence at a time (a lock). A process found dead, or dying mid-sentence, is started again,
    at most twice per sentence; `restarts` counts it. `close()` stops the process; a sentence after it
    starts one again, so a voice closed while a holder still has it keeps working.
    """

    def __init__(
        self,
        model_id: str,
        voice_dir: Path,
        voice: str,
        *,
        binary: str = "festival",
        speed: float = 1.0,
        timeout_s: float = _SENTENCE_TIMEOUT_S,
    ) -> None:
        if not _VOICE_NAME.match(voice):
            raise ValueError(f"not a Festival voice name: {voice!r}")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.model_id = model_id
        self.voice = voice
        self.binary = binary
        self.timeout_s = timeout_s
        self.restarts = 0
        self._lock = threading.Lock()
        self._tmp: Path | None = None  # the private folder the WAVs go through, made with the process
        folder = str(voice_dir).rstrip("/") + "/"
        # The voice's files find their data through voice-locations: point it at the manifest's folder,
        # load the voice from there, then set the pace (selecting the voice resets Duration_Stretch).
        # The unit-selection voice keeps its recorded durations whatever the stretch (measured: the
        # same length at 0.5, 1 and 2); a diphone or HTS voice would follow it.
        self._setup = (
            f"(set! voice-locations (cons (cons '{voice} {scheme_string(folder)}) voice-locations))"
            f" (load {scheme_string(folder + 'festvox/' + voice + '.scm')})"
            f" (voice_{voice}) (Parameter.set 'Duration_Stretch {1.0 / speed:.4f})"
        )
        self._festival: _Festival | None = None
        try:
            # one sentence now: it reads the voice's unit catalogue (the first costs several times
            # more than the next) and tells the sample rate the voice writes
            self.sample_rate: int = self._speak("Привет.").sample_rate
        except StageError:
            self.close()
            raise

    @property
    def pid(self) -> int | None:
        """The Festival process's id (None when closed)."""
        return self._festival.proc.pid if self._festival else None

    def _running(self) -> _Festival:
        """The live process: started after `close()`, started again when it died (call with the lock held)."""
        if self._festival is not None and not self._festival.alive:
            self._festival.close()
            self._festival = None
            self.restarts += 1
            _LOG.warning("Festival (%s) is not running; starting it again", self.model_id)
        if self._tmp is None or not self._tmp.is_dir():
            self._tmp = Path(tempfile.mkdtemp(prefix="sova-festival-"))
            weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
        if self._festival is None:
            self._festival = _Festival(self.binary, self._setup, _START_TIMEOUT_S)
        return self._festival

    @property
    def _wav(self) -> Path:
        assert self._tmp is not None  # made by _running before any sentence
        return self._tmp / "sentence.wav"

    def _speak(self, text: str) -> Audio:
        """Synthesize sanitized, non-empty `text` (call with the lock held, or before anyone else can)."""
        for _attempt in range(2):
            festival = self._running()
            command = f"(utt.save.wave (SynthText {scheme_string(text)}) {scheme_string(str(self._wav))} 'riff)"
            self._wav.unlink(missing_ok=True)
            try:
                ok, said = festival.run(command, self.timeout_s)
            except BrokenPipeError:
                festival.close()  # died mid-sentence: the next attempt starts another
                continue
            except TimeoutError as exc:
                festival.close()  # stuck in this sentence: the next one starts afresh
                raise StageError("tts", f"Festival ({self.model_id}): {exc}", hint="try again") from exc
            return self._read_back(text, ok, said)
        raise StageError("tts", f"Festival ({self.model_id}) exited twice while speaking {text!r}", hint=_INSTALL_HINT)

    def _read_back(self, text: str, ok: bool, said: str) -> Audio:
        try:
            samples, rate = sf.read(self._wav, dtype="float32", always_2d=True)
        except (OSError, sf.LibsndfileError):
            samples, rate = np.zeros((0, 1), np.float32), 0
        finally:
            self._wav.unlink(missing_ok=True)
        if ok and rate and not len(samples):
            # it ran without an error and wrote a WAV, but found no sound in the text ("ъ"): nothing to say
            _LOG.warning("Festival (%s) found nothing to say in %r", self.model_id, text)
            return Audio.empty(int(rate))
        if not ok or not len(samples):
            raise StageError(
                "tts",
                f"Festival ({self.model_id}) wrote no audio for {text!r}: {said or 'no reason given'}",
                hint="a character it cannot say got through `festival_text`; please report the sentence",
            )
        mono = samples.mean(axis=1, dtype=np.float32) if samples.shape[1] > 1 else samples[:, 0]
        return Audio(np.ascontiguousarray(mono, dtype=np.float32), int(rate))

    def synthesize(self, text: str) -> Audio:
        """Speak `text` as float32 mono at the rate the voice writes (empty Audio when nothing is sayable)."""
        sayable = festival_text(text)
        if not sayable:
            return Audio.empty(self.sample_rate)
        with self._lock:
            return self._speak(sayable)

    def close(self) -> None:
        """Stop the Festival process and remove its folder; a later sentence would start them again."""
        with self._lock:
            festival, self._festival = self._festival, None
            tmp, self._tmp = self._tmp, None
            if festival is not None:
                festival.close()
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)


def load_model(provider: ModelProvider, options: TTSOptions | None = None) -> FestivalSynthesizer:
    """Start Festival with the voice folder at `provider.path` (metadata `voice`, optional `binary`).

    `options`: `TTSOptions.speed` becomes Festival's Duration_Stretch (which the unit-selection
    Russian voice ignores); `use_cuda` is ignored (Festival runs on the CPU).
    """
    opts = options_for(TTSOptions, options, provider.manifest.id)
    model_id = provider.manifest.id
    metadata = provider.manifest.metadata
    voice = str(metadata.get("voice", "msu_ru_nsh_clunits"))
    voice_dir = Path(provider.path)
    if not (voice_dir / "festvox" / f"{voice}.scm").is_file():
        raise ModelUnavailableError(
            f"{model_id}: {voice_dir} is not the Festival voice {voice} (no festvox/{voice}.scm)", hint=_INSTALL_HINT
        )
    if opts.speed != 1.0:
        _LOG.info(
            "%s: Festival's unit-selection voice keeps its own pace; speed %.2f has no effect", model_id, opts.speed
        )
    try:
        return FestivalSynthesizer(
            model_id, voice_dir, voice, binary=str(metadata.get("binary", "festival")), speed=float(opts.speed)
        )
    except StageError as exc:
        # at load time a voice that cannot start is unavailable, so the build falls back to the next voice
        raise ModelUnavailableError(f"{model_id}: {exc.message}", hint=exc.hint) from exc
