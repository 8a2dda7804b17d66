"""`sova bench`: voice-to-voice latency of our pipeline against the sequential baseline and the compute limit.

Three ways of answering the same spoken question with the same models, in the same run:

- ours: the real `Assistant` turn (VAD, streaming by sentence, TTS while the LLM writes);
- baseline: what simple local assistants do: transcribe the whole utterance, generate the whole
  reply, synthesise the whole reply, then play the first sample;
- limit: only the model calls on the critical path, on the libraries themselves: transcribe the
  utterance, prefill and generate up to the end of the first sentence, synthesise that sentence.

Voice-to-voice is measured from the end of the user's audio (key release) to the first reply sample
handed to the audio sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.assistant import Assistant
from engine.audio.resample import to_whisper_input
from engine.audio.sinks import WavFileSink
from engine.audio.types import Audio
from engine.bench.stats import Summary, ratio, summarize_all
from engine.pipeline.inputs import AudioInput
from engine.pipeline.splitter import SentenceSplitter, split_sentences
from engine.pipeline.warmup import prime_llm
from engine.stages.base import EmotionResult, SamplingParams, SpeechSynthesizer, SpokenLanguage
from engine.stages.tts.normalise import speakable

#: microphone block length when the bench plays a question in real time
HOLD_STEP_S = 0.1

#: questions that call for answers of two sentences or more (the targets are stated for those)
QUESTIONS: dict[SpokenLanguage, tuple[str, ...]] = {
    "en": (
        "Tell me two interesting facts about owls.",
        "Tell me about owls in three short sentences.",
        "How do I make a good cup of tea?",
    ),
    "ru": (
        "Расскажи два интересных факта о кошках.",
        "Дай два совета, как лучше спать.",
        "Что взять с собой в поход? Назови две вещи и объясни зачем.",
    ),
}
#: silence before the question, and after it until the key is released (a typical push-to-talk release)
LEAD_S, RELEASE_AFTER_S = 0.3, 0.5


@dataclass(frozen=True)
class Utterance:
    """A spoken bench question."""

    text: str
    language: SpokenLanguage
    audio: Audio


@dataclass
class LanguageRun:
    """Every measurement of one language."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    sentences: list[int] = field(default_factory=list)

    def add(self, name: str, value: float | None) -> None:
        """Record `value` under `name` (None: not measured this turn)."""
        if value is not None:
            self.samples.setdefault(name, []).append(value)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _raw(wrapper: object, attribute: str) -> Any:
    """The library object inside one of our stage wrappers (the limit calls libraries directly)."""
    return getattr(wrapper, attribute)


def make_utterances(assistant: Assistant, languages: Sequence[SpokenLanguage]) -> list[Utterance]:
    """Speak the bench questions with the project's own voices (Piper for English, eSpeak NG for Russian)."""
    assert assistant.stages is not None
    out = []
    for lang in languages:
        for text in QUESTIONS[lang]:
            _, voice = assistant.stages.tts.voice_for(text, lang)
            speech = to_whisper_input(voice.synthesize(text))
            lead = np.zeros(int(LEAD_S * speech.sample_rate), np.float32)
            tail = np.zeros(int(RELEASE_AFTER_S * speech.sample_rate), np.float32)
            out.append(Utterance(text, lang, Audio(np.concatenate([lead, speech.samples, tail]), speech.sample_rate)))
    return out


class Bench:
    """Runs the three variants on the assistant's own loaded models."""

    def __init__(self, assistant: Assistant) -> None:
        if assistant.stages is None:
            raise RuntimeError("start the assistant first")
        self.assistant = assistant
        self.stages = assistant.stages
        self.lanes = assistant.lanes
        self._tmp = Path(tempfile.mkdtemp(prefix="sova-bench-"))
        self._emotion: EmotionResult | None = None  # of the last `ours` turn: the others prompt with it

    def _params(self) -> SamplingParams:
        s = self.stages.llm.settings
        return SamplingParams(temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_output_tokens)

    def _messages(self, text: str, lang: SpokenLanguage) -> list[dict[str, str]]:
        # the same prompt our turn built: the emotion note (when there is one) is part of the model's work
        prompt = self.assistant.prompts.build([], text, language=lang, emotion=self._emotion)
        return [{"role": m.role, "content": m.content} for m in prompt.messages]

    def _prime(self, language: SpokenLanguage) -> None:
        """Leave the LLM's cache as a previous turn would: the system prefix cached, no user words.

        Without this the variant that runs after another on the same question would find its whole
        prompt cached, which no real turn does.
        """
        prime_llm(self.stages.llm.model, self.assistant.prompts, language)

    async def ours(self, utt: Utterance, run: LanguageRun) -> None:
        """The real turn, on a fresh conversation so every variant sees the same prompt."""
        self.assistant.history.new_conversation()
        await self.lanes.run("llm", self._prime, utt.language)
        # hold the key for as long as the question lasts, feeding audio as a microphone would
        listening = self.assistant.listen(utt.language)
        step = int(HOLD_STEP_S * utt.audio.sample_rate)
        for i in range(0, len(utt.audio.samples), step):
            listening.feed(Audio(utt.audio.samples[i : i + step], utt.audio.sample_rate))
            await asyncio.sleep(HOLD_STEP_S)
        sink = WavFileSink(self._tmp / "ours.wav")
        released = time.perf_counter()
        result = await self.assistant.ask_audio(AudioInput(utt.audio, released, listening), sink, language=utt.language)
        self._emotion = result.emotion
        sink.close()
        t = result.timings_ms
        run.add("v2v_ms", t.get("v2v_ms"))
        run.add("stt_ms", t.get("stt_ms"))
        if "stt_ms" in t:
            run.add("stt_rtf", t["stt_ms"] / 1000.0 / utt.audio.duration_s)
        run.add("emotion_ms", t.get("emotion_ms"))
        # what memory and tools add before the first sound (issue 10: recall; issue 11: routing, and a
        # plan only when a tool is needed — the bench's questions need none)
        run.add("recall_ms", t.get("recall_ms"))
        run.add("tool_route_ms", t.get("tool_route_ms"))
        run.add("llm_first_token_ms", t.get("llm_first_token_ms"))
        run.add("first_sentence_ms", t.get("first_sentence_ms"))
        run.add("tts_first_audio_ms", t.get("tts_first_audio_ms"))
        if t.get("llm_ms"):
            tokens = self.stages.llm.model.count_tokens(result.reply_text)
            run.add("llm_tokens_per_s", tokens / (t["llm_ms"] / 1000.0))
        run.sentences.append(len(split_sentences(result.reply_text)))

    def _transcribe(self, audio: Audio, lang: SpokenLanguage) -> str:
        whisper = _raw(self.stages.stt, "_model")
        segments, _ = whisper.transcribe(
            np.ascontiguousarray(audio.samples),
            language=lang,
            beam_size=1,
            temperature=0.0,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        return "".join(s.text for s in segments).strip()

    def _generate(self, text: str, lang: SpokenLanguage, stop_at_first_sentence: bool) -> str:
        llm = _raw(self.stages.llm.model, "_llm")
        p = self._params()
        chunks = llm.create_chat_completion(
            messages=self._messages(text, lang),
            stream=True,
            temperature=p.temperature,
            top_p=p.top_p,
            max_tokens=p.max_tokens,
        )
        splitter, parts = SentenceSplitter(), []
        with contextlib.closing(chunks):
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content") or ""
                parts.append(piece)
                if stop_at_first_sentence and (done := splitter.push(piece)):
                    return done[0]
        return "".join(parts).strip() if not stop_at_first_sentence else (splitter.flush() or "")

    def _speak(self, text: str, lang: SpokenLanguage) -> tuple[Audio, SpeechSynthesizer]:
        voice_language, voice = self.stages.tts.voice_for(text, lang)
        text = speakable(text, voice_language)  # as the turn does before its TTS, so the bench stays fair
        piper = getattr(voice, "_voice", None)
        if piper is None:  # eSpeak NG: our wrapper is the ctypes call itself
            return voice.synthesize(text), voice
        first = next(iter(piper.synthesize(text)))  # PiperVoice yields the first sentence first
        return Audio(np.asarray(first.audio_float_array, np.float32).reshape(-1), int(first.sample_rate)), voice

    async def baseline(self, utt: Utterance, run: LanguageRun) -> None:
        """Whole utterance -> whole reply -> whole synthesis -> first sample."""
        await self.lanes.run("llm", self._prime, utt.language)
        t0 = time.perf_counter()
        text = await self.lanes.run("stt", self._transcribe, to_whisper_input(utt.audio), utt.language)
        reply = await self.lanes.run("llm", self._generate, text, utt.language, False)
        voice_language, voice = self.stages.tts.voice_for(reply, utt.language)
        await self.lanes.run("tts", lambda: voice.synthesize(speakable(reply, voice_language)))
        run.add("baseline_v2v_ms", (time.perf_counter() - t0) * 1000.0)

    async def limit(self, utt: Utterance, run: LanguageRun) -> None:
        """Only the critical path's model calls: STT, LLM to the first sentence, TTS of that sentence."""
        await self.lanes.run("llm", self._prime, utt.language)
        t0 = time.perf_counter()
        text = await self.lanes.run("stt", self._transcribe, to_whisper_input(utt.audio), utt.language)
        sentence = await self.lanes.run("llm", self._generate, text, utt.language, True)
        t_tts = time.perf_counter()
        audio, _ = await self.lanes.run("tts", self._speak, sentence or text, utt.language)
        now = time.perf_counter()
        run.add("limit_v2v_ms", (now - t0) * 1000.0)
        if audio.duration_s > 0:
            run.add("tts_rtf", (now - t_tts) / audio.duration_s)


@dataclass(frozen=True)
class BenchReport:
    """Medians and spreads per language, with the ratios the targets are stated in."""

    per_language: dict[str, dict[str, Summary]]
    sentences: dict[str, float]
    peak_rss_mb: float
    turns: int
    models: dict[str, str]

    def ratios(self, lang: str) -> dict[str, float]:
        """ours/baseline and ours/limit of the voice-to-voice medians."""
        s = self.per_language[lang]
        ours = s["v2v_ms"].median
        return {
            "ours_over_baseline": ratio(ours, s["baseline_v2v_ms"].median),
            "ours_over_limit": ratio(ours, s["limit_v2v_ms"].median),
        }

    def as_json(self) -> dict[str, Any]:
        """Keys: per language v2v_ms, baseline_v2v_ms, limit_v2v_ms and the per-stage medians and spreads."""
        data: dict[str, Any] = {
            "turns_per_language": self.turns,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "models": self.models,
        }
        for lang, summaries in self.per_language.items():
            entry: dict[str, Any] = {name: round(s.median, 2) for name, s in summaries.items()}
            entry["spread"] = {name: {k: round(v, 2) for k, v in s.as_dict().items()} for name, s in summaries.items()}
            entry["reply_sentences_median"] = self.sentences[lang]
            entry.update({k: round(v, 3) for k, v in self.ratios(lang).items()})
            data[lang] = entry
        first = next(iter(self.per_language))
        for key in ("v2v_ms", "baseline_v2v_ms", "limit_v2v_ms"):  # top-level keys: the first language's medians
            data[key] = data[first][key]
        return data


async def run_bench(
    assistant: Assistant,
    languages: Sequence[SpokenLanguage],
    turns: int,
    progress: Callable[[str], None] = lambda _m: None,
) -> BenchReport:
    """Warm up once per language, then `turns` measured turns per language of each variant."""
    bench = Bench(assistant)
    utterances = make_utterances(assistant, languages)
    runs: dict[str, LanguageRun] = {}
    for lang in languages:
        pool = [u for u in utterances if u.language == lang]
        progress(f"{lang}: warm-up")
        scratch = LanguageRun()
        await bench.ours(pool[0], scratch)
        await bench.baseline(pool[0], scratch)
        await bench.limit(pool[0], scratch)
        run = runs[lang] = LanguageRun()
        for i in range(turns):
            utt = pool[i % len(pool)]
            progress(f"{lang}: turn {i + 1}/{turns}: {utt.text}")
            await bench.ours(utt, run)
            await bench.baseline(utt, run)
            await bench.limit(utt, run)
    stages = assistant.stages
    assert stages is not None
    models = {"stt": stages.stt.model_id, "llm": stages.llm.model.model_id}
    return BenchReport(
        per_language={lang: summarize_all(run.samples) for lang, run in runs.items()},
        sentences={lang: float(np.median(run.sentences)) if run.sentences else 0.0 for lang, run in runs.items()},
        peak_rss_mb=_peak_rss_mb(),
        turns=turns,
        models=models,
    )
