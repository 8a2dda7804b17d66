"""Remote models for real: llama.cpp's own OpenAI-compatible server, a recording server, the socket guard.

The llama.cpp server (`python -m llama_cpp.server`, the lightweight GGUF) is started once for the
module on 127.0.0.1; its tests generate a few tokens each. The recording server
(tests/integration/recording_server.py) checks byte for byte that nothing the scrubber catches
reaches a server, and how each kind of server failure is reported.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from engine.cancel import CancelToken
from engine.config import SovaConfig
from engine.errors import ConfigError, StageError
from engine.pipeline.stages import build_stages
from engine.privacy.remote_model import ScrubbingModel, scrub_messages
from engine.registry.registry import Registry
from engine.stages.base import ChatMessage, SamplingParams
from engine.stages.llm.openai_compat import OpenAICompatModel
from tests.conftest import ROOT, make_config
from tests.integration.conftest import Installed
from tests.integration.recording_server import RecordingServer
from tests.unit.test_scrub import CAUGHT, DENYLIST

LIGHT = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"
GREEDY = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server on the lightweight model; yields its base_url."""
    provider = installed(LIGHT)
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(provider.path), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--chat_format", "chatml",
             "--verbose", "false"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:  # refused while it starts (URLError is an OSError)
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _server_model(base_url: str, **kwargs: Any) -> OpenAICompatModel:
    return OpenAICompatModel(base_url=base_url, model="qwen", timeout_s=kwargs.pop("timeout_s", 300), **kwargs)


HELLO = [ChatMessage("user", "Say hello.")]


@pytest.mark.models
@pytest.mark.slow
def test_a_streamed_reply_from_llama_cpp_server(llama_server: str) -> None:
    model = _server_model(llama_server)
    pieces = list(model.stream_chat(HELLO, GREEDY))
    assert len(pieces) >= 2  # streamed, not one block
    assert "".join(pieces).strip()
    assert model.model_id == f"qwen@{llama_server.removesuffix('/v1')}"
    model.close()


@pytest.mark.models
@pytest.mark.slow
def test_barge_in_closes_the_stream_mid_reply(llama_server: str) -> None:
    model = _server_model(llama_server)
    cancel = CancelToken()
    pieces = []
    long = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=64)
    for piece in model.stream_chat([ChatMessage("user", "Count from 1 to 100, one number a line.")], long, cancel):
        pieces.append(piece)
        if len(pieces) == 2:
            cancel.set()  # from the consuming thread here; the token's callback closes the HTTP response
    assert len(pieces) == 2
    # the server is free again: a new request is answered
    assert "".join(model.stream_chat(HELLO, GREEDY)).strip()
    model.close()


@pytest.mark.models
@pytest.mark.slow
def test_a_scrubbed_request_through_the_server_and_the_fallback_on_a_dead_port(llama_server: str) -> None:
    server = _server_model(llama_server)
    scrubbing = ScrubbingModel(server, endpoint=server.endpoint)
    question = [ChatMessage("user", "Repeat after me: Olivia Smith, +44 20 7946 0958.")]
    reply = "".join(scrubbing.stream_chat(question, SamplingParams(temperature=0.0, top_p=1.0, max_tokens=24)))
    assert reply.strip() and "[PERSON_" not in reply and "[PHONE_" not in reply
    sent = scrubbing.last_sent()
    assert "Olivia" not in sent[0].content and "7946" not in sent[0].content and "[PERSON_1]" in sent[0].content
    use = scrubbing.external_use()
    assert use is not None and use.endpoint == server.endpoint and set(use.scrubbed) == {"person", "phone"}

    notices: list[str] = []
    dead = OpenAICompatModel(base_url=f"http://127.0.0.1:{_free_port()}/v1", model="qwen", timeout_s=10)
    fallback = ScrubbingModel(dead, endpoint=dead.endpoint, fallback=server, notice=notices.append)
    answer = "".join(fallback.stream_chat(HELLO, GREEDY))
    assert answer.strip()  # the stand-in answered this turn
    assert fallback.external_use() is None
    assert len(notices) == 1 and "cannot reach" in notices[0] and server.model_id in notices[0]
    strict = ScrubbingModel(dead, endpoint=dead.endpoint, fallback=server, on_failure="fail")
    with pytest.raises(StageError, match="cannot reach"):
        list(strict.stream_chat(HELLO, GREEDY))
    server.close()


# -- the recording server: what reaches a server, and how failures read --------------------------------


def _recorded_texts(recorder: RecordingServer) -> list[bytes]:
    """Each body as sent, and again with JSON escapes decoded (a client may send Cyrillic as \\uXXXX)."""
    texts = list(recorder.bodies)
    texts += [json.dumps(json.loads(b), ensure_ascii=False).encode() for b in recorder.bodies]
    return texts


def test_no_caught_item_of_the_table_reaches_the_server() -> None:
    reply = ["Done: ", "[PER", "SON_1", "] and [PHO", "NE_1]", " noted."]
    with RecordingServer(reply) as recorder:
        remote = OpenAICompatModel(base_url=recorder.base_url, model="recorder", timeout_s=10)
        model = ScrubbingModel(remote, endpoint=remote.endpoint, denylist=DENYLIST)
        half = len(CAUGHT) // 2
        messages = [
            ChatMessage("system", "Notes about the user:\n" + "\n".join(t for t, *_ in CAUGHT[:half])),
            *(ChatMessage("user" if i % 2 else "assistant", t) for i, (t, *_) in enumerate(CAUGHT[half:-1])),
            ChatMessage("user", CAUGHT[-1][0]),
        ]
        answer = "".join(model.stream_chat(messages, GREEDY))
    assert len(recorder.bodies) == 1
    for _, _, item, _ in CAUGHT:
        for body in _recorded_texts(recorder):
            assert item.encode() not in body, f"{item!r} reached the server"
            assert json.dumps(item)[1:-1].encode() not in body
    request = recorder.requests()[0]
    assert set(request) <= {"model", "messages", "stream", "temperature", "top_p", "max_tokens", "stop"}
    assert [m["content"] for m in request["messages"]] == [m.content for m in model.last_sent()]
    _, table = scrub_messages(messages, DENYLIST)  # pure: the same table the model used
    assert table is not None
    assert answer == f"Done: {table.mapping['[PERSON_1]']} and {table.mapping['[PHONE_1]']} noted."
    use = model.external_use()
    assert use is not None and set(use.scrubbed) == {kind for *_, kind in CAUGHT}


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (401, "refused the request (401"),
        (403, "refused the request (403"),
        (429, "rate-limiting"),
        (500, "failed (500)"),
        (503, "failed (503)"),
        (404, "does not know the model"),
        ("slow", "did not answer within"),
        ("cut", "cut off mid-stream"),
    ],
)
def test_each_server_failure_is_a_clear_llm_error_without_retries(mode: str | int, message: str) -> None:
    with RecordingServer(["Hel"]) as recorder:
        recorder.mode, recorder.delay_s = mode, 3.0
        model = OpenAICompatModel(base_url=recorder.base_url, model="recorder", timeout_s=0.5)
        with pytest.raises(StageError) as err:
            list(model.stream_chat(HELLO, GREEDY))
        assert len(recorder.bodies) == 1  # no retry
    assert err.value.stage == "llm" and message in err.value.message and err.value.hint


def test_a_failure_mid_reply_keeps_what_was_said_and_raises() -> None:
    notices: list[str] = []
    with RecordingServer(["Hel"]) as recorder, RecordingServer(["local ", "answer"]) as local:
        recorder.mode = "cut"
        stand_in = OpenAICompatModel(base_url=local.base_url, model="local", timeout_s=5)
        remote = OpenAICompatModel(base_url=recorder.base_url, model="recorder", timeout_s=5)
        model = ScrubbingModel(remote, endpoint=remote.endpoint, fallback=stand_in, notice=notices.append)
        pieces: list[str] = []
        with pytest.raises(StageError, match="cut off"):
            for piece in model.stream_chat(HELLO, GREEDY):
                pieces.append(piece)
        assert pieces == ["Hel"] and notices == [] and local.bodies == []  # said stays; no second answer
        recorder.mode = 500
        assert "".join(model.stream_chat(HELLO, GREEDY)) == "local answer"
        assert len(notices) == 1 and "500" in notices[0]


def test_barge_in_closes_a_hanging_stream_at_once() -> None:
    with RecordingServer(["first"]) as recorder:
        recorder.mode, recorder.delay_s = "hang", 30.0
        model = OpenAICompatModel(base_url=recorder.base_url, model="recorder", timeout_s=60)
        cancel = CancelToken()
        stream = model.stream_chat(HELLO, GREEDY, cancel)
        assert next(stream) == "first"
        cancel.set()  # the callback closes the response: the blocked read ends, the generator stops
        assert list(stream) == []
        assert recorder.closed.wait(10)  # the server saw the client go away


# -- the guard: with allow_external = false nothing connects -------------------------------------------


REMOTE_ROLE: dict[str, Any] = {
    "llm": {"primary": {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}},
}


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every connection attempt is recorded and refused (loopback included)."""
    attempts: list[object] = []

    def refuse_connect(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("the socket guard refuses every connection in this test")

    def refuse_create(address: object, *args: object, **kwargs: object) -> socket.socket:
        attempts.append(address)
        raise OSError("the socket guard refuses every connection in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_connect)
    monkeypatch.setattr(socket, "create_connection", refuse_create)
    return attempts


def test_with_allow_external_false_nothing_connects(
    no_connections: list[object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError) as err:
        make_config(REMOTE_ROLE)
    assert "privacy.allow_external" in err.value.keys
    # start-up and a turn through the CLI: refused before anything loads or connects
    user = tmp_path / "config.toml"
    user.write_text('[llm.primary]\nprovider = "openai"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n')
    monkeypatch.setenv("SOVA_CONFIG", str(user))
    monkeypatch.setenv("SOVA_DATA_DIR", str(tmp_path / "data"))
    assert main(["ask", "--text", "Call +7 916 123-45-67", "--json"]) == ConfigError.exit_code
    assert "privacy.allow_external" in capsys.readouterr().err
    # a config that slipped past the check (built by hand) is refused by the stage builder itself
    slipped = SovaConfig.model_validate(make_config().model_dump() | {"llm": {
        **make_config().model_dump()["llm"], "primary": REMOTE_ROLE["llm"]["primary"]}})
    registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", tmp_path / "state")
    with pytest.raises(ConfigError, match="allow_external"):
        build_stages(slipped, registry, tmp_path / "cache")
    assert no_connections == []


@pytest.mark.models
@pytest.mark.slow
def test_sova_ask_answers_through_the_server(llama_server: str, tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text(
        f'[privacy]\nallow_external = true\n[llm.primary]\nprovider = "openai"\nbase_url = "{llama_server}"\n'
        f'model = "qwen"\nid = "{LIGHT}"\nmax_output_tokens = 12\ntemperature = 0.0\ncontext_length = 2048\n'
        'timeout_s = 300\n[llm.lightweight]\nmax_output_tokens = 12\ncontext_length = 2048\n'
        # no local LLM work after the turn (emotion refinement, memory extraction): the shutdown could
        # unload the model under it (reported to the lead); this test is about the reply
        "[classification.emotion]\nmin_confidence = 0.0\n[memory]\nenabled = false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SOVA_CONFIG": str(user), "SOVA_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))", "ask",
         "--text", "My name is Olivia Smith. Say hello to me.", "--json", "--out", str(tmp_path / "reply.wav")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    endpoint = llama_server.removesuffix("/v1")
    assert result["models"]["llm"] == f"qwen@{endpoint}"
    assert result["reply_text"].strip()
    assert "was not used" not in proc.stderr  # the server answered, not the local stand-in
    assert result["external"]["endpoint"] == endpoint
    assert "person" in result["external"]["scrubbed"]


@pytest.mark.models
def test_the_local_token_estimate_over_counts_the_real_vocabulary(installed: Installed) -> None:
    from llama_cpp import Llama

    vocab = Llama(model_path=str(installed(LIGHT).path), vocab_only=True, verbose=False)
    model = OpenAICompatModel(base_url="http://127.0.0.1:9/v1", model="m")
    texts = [t for t, *_ in CAUGHT] + ["Привет! Как дела? Расскажи мне сказку про сову.", "Hello, how are you today?"]
    for text in texts:
        real = len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True))
        assert real <= model.count_tokens(text) <= 3 * real + 4, text
    vocab.close()


@pytest.mark.models
def test_a_remote_role_gets_its_local_stand_in_and_connects_nowhere_without_consent(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_connections: list[object]
) -> None:
    from engine.pipeline.stages import _load_llm, _RemoteContext
    from engine.privacy.consent import ConsentStore

    monkeypatch.delenv("SOVA_TEST_KEY", raising=False)
    remote = {"provider": "openai", "id": "", "max_output_tokens": 4, "temperature": 0.0}
    config = make_config({
        "privacy": {"allow_external": True},
        "llm": {
            "primary": {**remote, "base_url": "https://gpu.example:8443/v1", "model": "big"},
            "lightweight": {"id": LIGHT, "context_length": 2048},
            "secondary": {**remote, "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "SOVA_TEST_KEY"},
        },
    })
    told: list[str] = []
    context = _RemoteContext(True, (), ConsentStore(tmp_path / "consent.json"), told.append)
    notices: list[str] = []
    light = ("lightweight", config.llm.lightweight)
    primary = _load_llm(registry, [("primary", config.llm.primary), light], notices, context)
    assert isinstance(primary.model, ScrubbingModel) and primary.role == "primary"
    assert primary.model.fallback is not None and primary.model.fallback.model_id == LIGHT
    assert any("sova consent grant https://gpu.example:8443" in n for n in notices)
    answer = "".join(primary.model.stream_chat(HELLO, SamplingParams(temperature=0.0, max_tokens=4)))
    assert answer.strip() and primary.model.external_use() is None and primary.model.last_sent() == ()
    assert len(told) == 1 and "no consent" in told[0]

    secondary = _load_llm(registry, [("secondary", config.llm.secondary), light], notices, context)
    assert any("SOVA_TEST_KEY (api_key_env) is not set" in n for n in notices)
    assert "".join(secondary.model.stream_chat(HELLO, SamplingParams(temperature=0.0, max_tokens=4))).strip()
    assert no_connections == []


def test_barge_in_from_another_thread_ends_a_read_blocked_on_the_server() -> None:
    with RecordingServer(["first"]) as recorder:
        recorder.mode, recorder.delay_s = "hang", 60.0
        model = OpenAICompatModel(base_url=recorder.base_url, model="recorder", timeout_s=120)
        cancel = CancelToken()
        got: list[str] = []
        first = threading.Event()
        errors: list[BaseException] = []

        def consume() -> None:
            try:
                for piece in model.stream_chat(HELLO, GREEDY, cancel):
                    got.append(piece)
                    first.set()
            except BaseException as exc:  # reported to the test below
                errors.append(exc)

        reader = threading.Thread(target=consume)
        reader.start()
        assert first.wait(30)
        cancel.set()  # the reader is blocked in the HTTP read now: closing the response must free it
        reader.join(30)  # far less than the server's 60 s hang
        assert not reader.is_alive() and errors == [] and got == ["first"]
