"""The exact event sequence of a turn, with scripted fakes: normal, barge-in at every moment, failures.

These run in milliseconds; the same paths with the real models are in tests/integration/test_pipeline.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import ErrorCode, SovaError
from engine.events import (
    AssistantState,
    Notice,
    ReplyDelta,
    SentenceReady,
    SentenceSpoken,
    StateChanged,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
)
from engine.memory import session_state
from engine.memory.history import HistoryStore
from engine.pipeline.inputs import AudioInput
from tests.conftest import make_config
from tests.harness.engine import Harness
from tests.harness.fakes import RecordingSink, ScriptedLLM, ScriptedSTT, ScriptedVoice, speech

SCRIPT = ["The sky ", "is blue. ", "Grass is ", "green. ", "Snow is ", "white."]
SENTENCES = ["The sky is blue.", "Grass is green.", "Snow is white."]
#: the stream's own events, whose interleaving depends on thread timing; their order is checked apart
STREAM = (ReplyDelta, SentenceReady, SentenceSpoken, Notice)


@pytest.fixture
def make(tmp_path: Path) -> Iterator[object]:
    made: list[Harness] = []

    def build(**kwargs: object) -> Harness:
        harness = Harness(tmp_path / f"h{len(made)}", make_config(), **kwargs)  # type: ignore[arg-type]
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.close()


def states(h: Harness) -> list[AssistantState]:
    return [e.state for e in h.of(StateChanged)]


def test_a_typed_turn_emits_its_events_in_order(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT))
    result = h.run(h.assistant.ask_text("what colour is the sky?", RecordingSink()))
    assert h.kinds(*STREAM) == [
        "TurnStarted", "TranscriptReady", "StateChanged", "StateChanged", "TurnFinished", "StateChanged"
    ]
    assert states(h) == [AssistantState.THINKING, AssistantState.SPEAKING, AssistantState.IDLE]
    assert "".join(e.text for e in h.of(ReplyDelta)) == "".join(SCRIPT)
    assert [e.text for e in h.of(SentenceReady)] == SENTENCES
    assert [e.text for e in h.of(SentenceSpoken)] == SENTENCES
    kinds = h.kinds()
    assert kinds.index("SentenceReady") < kinds.index("SentenceSpoken") < kinds.index("TurnFinished")
    assert h.of(TranscriptReady)[0].source == "text"
    assert not result.interrupted and result.spoken_text == " ".join(SENTENCES)
    assert [(m.role, m.content, m.complete) for m in h.assistant.history.messages()] == [
        ("user", "what colour is the sky?", True),
        ("assistant", "".join(SCRIPT), True),
    ]


def test_a_spoken_turn_starts_transcribing(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT[:2]))
    result = h.run(h.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
    assert states(h) == [AssistantState.TRANSCRIBING, AssistantState.THINKING, AssistantState.SPEAKING,
                         AssistantState.IDLE]
    assert h.of(TranscriptReady)[0].source == "audio"
    assert result.transcript == "what time is it" and result.models["stt"] == "scripted-stt"


def test_barge_in_during_recognition_ends_the_turn_as_interrupted(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT), stt=ScriptedSTT(hold=True))

    async def turn() -> object:
        task = asyncio.ensure_future(h.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
        await asyncio.to_thread(h.stt.started.wait, 5)
        h.assistant.interrupt()
        h.stt.release.set()
        return await task

    result = h.run(turn())
    assert result.interrupted and result.reply_text == "" and result.transcript == "what time is it"
    assert h.kinds() == ["TurnStarted", "StateChanged", "TranscriptReady", "TurnFinished", "StateChanged"]
    assert h.llm.calls == 0
    assert [(m.role, m.content) for m in h.assistant.history.messages()] == [("user", "what time is it")]


def test_barge_in_before_generation(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT))
    h.on(TranscriptReady, lambda _: h.assistant.interrupt())
    result = h.run(h.assistant.ask_text("hello", RecordingSink()))
    assert result.interrupted and result.spoken_text == ""
    assert not h.of(ReplyDelta) and not h.of(TurnFailed)
    assert h.kinds()[-2:] == ["TurnFinished", "StateChanged"]


def test_barge_in_during_generation_keeps_what_was_heard(make) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(SCRIPT, hold_at=4)  # holds after "Grass is green."
    h = make(llm=llm)
    h.on(SentenceSpoken, lambda _: h.assistant.interrupt())
    sink = RecordingSink()
    result = h.run(h.assistant.ask_text("colours?", sink))
    assert result.interrupted
    assert result.spoken_text == "The sky is blue."
    assert llm.finished.wait(5) and llm.stopped_early
    assert sink.stopped.is_set()
    last = h.assistant.history.messages()[-1]
    assert (last.role, last.content, last.complete) == ("assistant", "The sky is blue.", False)
    assert [type(e).__name__ for e in h.events[-2:]] == ["TurnFinished", "StateChanged"]


def test_barge_in_after_generation_while_the_reply_plays(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT))
    sink = RecordingSink(hold_drain=True)

    async def turn() -> object:
        task = asyncio.ensure_future(h.assistant.ask_text("colours?", sink))
        await asyncio.to_thread(sink.draining.wait, 5)
        sink.heard_s = sink.played[0].duration_s  # the user heard the first sentence, then spoke
        h.assistant.interrupt()
        return await task

    result = h.run(turn())
    assert result.interrupted and result.reply_text == "".join(SCRIPT)
    assert result.spoken_text == "The sky is blue."
    assert h.assistant.history.messages()[-1].content == "The sky is blue."


def test_a_tts_failure_stops_the_llm_at_once(make) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(SCRIPT, hold_at=2)  # the LLM is held: the turn must not wait for it
    h = make(llm=llm, voice=ScriptedVoice(fail_on=0))
    with pytest.raises(SovaError) as err:
        h.run(h.assistant.ask_text("colours?", RecordingSink()))
    assert err.value.code is ErrorCode.TTS_FAILED
    assert h.kinds(*STREAM)[-2:] == ["TurnFailed", "StateChanged"]
    assert h.of(TurnFailed)[0].code is ErrorCode.TTS_FAILED
    assert llm.finished.wait(5) and llm.stopped_early
    assert h.assistant.history.messages()[0].content == "colours?"


def test_a_sink_failure_is_a_clear_error(make) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(SCRIPT, hold_at=2)
    h = make(llm=llm)
    with pytest.raises(SovaError) as err:
        h.run(h.assistant.ask_text("colours?", RecordingSink(fail_on_play=True)))
    assert err.value.code is ErrorCode.SINK_FAILED and "speaker" in (err.value.hint or "")
    assert llm.finished.wait(5) and llm.stopped_early


def test_an_llm_failure_stops_the_speech(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT, fail_at=3))
    with pytest.raises(SovaError) as err:
        h.run(h.assistant.ask_text("colours?", RecordingSink()))
    assert err.value.code is ErrorCode.LLM_FAILED
    failed = h.of(TurnFailed)
    assert len(failed) == 1 and failed[0].code is ErrorCode.LLM_FAILED
    assert not h.of(TurnFinished)
    assert h.voice.spoken in ([], ["The sky is blue."])  # at most the sentence finished before the error


def test_cancelling_the_task_stops_the_llm_thread(make) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(SCRIPT, hold_at=2)
    h = make(llm=llm)

    async def turn() -> None:
        task = asyncio.ensure_future(h.assistant.ask_text("colours?", RecordingSink()))
        await asyncio.to_thread(llm.held.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    h.run(turn())
    assert llm.finished.wait(5) and llm.stopped_early
    finished = h.of(TurnFinished)
    assert len(finished) == 1 and finished[0].result.interrupted
    assert h.assistant.state is AssistantState.IDLE


def test_shutdown_mid_turn_saves_the_turn(make) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(SCRIPT, hold_at=2)
    h = make(llm=llm)

    async def turn() -> object:
        task = asyncio.ensure_future(h.assistant.ask_text("colours?", RecordingSink()))
        await asyncio.to_thread(llm.held.wait, 5)
        await h.assistant.close()
        return await task

    result = h.run(turn())
    assert result.interrupted
    assert all(outcome.ok for outcome in h.assistant.shutdown_report)
    assert llm.finished.is_set() and llm.stopped_early
    history = HistoryStore(h.assistant.data_dir / "history.sqlite3")  # the closed assistant's file, reopened
    try:
        saved = history.load_state(session_state.STATE_KEY)
        assert [c["user_text"] for c in saved["incomplete_chains"]] == ["colours?"]
        assert history.messages()[0].content == "colours?"
    finally:
        history.close()


def test_a_closed_assistant_refuses_turns(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT))
    h.run(h.assistant.close())
    with pytest.raises(SovaError) as err:
        h.run(h.assistant.ask_text("hello", RecordingSink()))
    assert err.value.code is ErrorCode.CLOSING


def test_listening_state_comes_from_the_engine(make) -> None:  # type: ignore[no-untyped-def]
    h = make(llm=ScriptedLLM(SCRIPT[:2]))

    async def press_and_abandon() -> None:
        listening = h.assistant.listen("en")
        h.assistant.stop_listening(listening)

    h.run(press_and_abandon())
    assert states(h) == [AssistantState.LISTENING, AssistantState.IDLE]
