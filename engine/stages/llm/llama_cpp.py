"""The llama.cpp backend (llama-cpp-python) for GGUF chat models.

One `Llama` object per model, kept for the app's lifetime: llama-cpp-python reuses the KV cache
for the longest common token prefix between calls on the same object, so an unchanged system
prompt (see `engine.pipeline.prompt`) is read once, not at every turn. Never reset it between calls.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from engine.errors import StageError
from engine.stages.base import ChatMessage, SamplingParams
from engine.stages.options import LLMOptions, options_for

if TYPE_CHECKING:
    from engine.registry.registry import ModelProvider

_LOAD_HINT = "the model file may be damaged or not a GGUF: run `sova models verify`, or reinstall it"
_RUN_HINT = "try again; if it keeps failing, lower llm context_length/max_output_tokens in config.toml"


class LlamaChatModel:
    """A loaded GGUF chat model implementing `engine.stages.base.LanguageModel`."""

    def __init__(self, llm: Any, model_id: str) -> None:
        self._llm: Any = llm
        self.model_id = model_id
        # a Llama object holds one KV cache: two generations at once would corrupt each other
        self._lock = threading.Lock()

    @property
    def context_length(self) -> int:
        """Tokens the loaded context holds (prompt + reply)."""
        return int(self._live().n_ctx())

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's vocabulary (no BOS; special tokens parsed)."""
        try:
            return len(self._live().tokenize(text.encode("utf-8"), add_bos=False, special=True))
        except (RuntimeError, ValueError) as exc:
            raise StageError("llm", f"cannot tokenize with {self.model_id}: {exc}", hint=_RUN_HINT) from exc

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Yield non-empty text pieces as they are generated; stop early when `cancel` is set."""
        llm = self._live()
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
            "stop": list(params.stop),
        }
        if params.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": params.json_schema}
        with self._lock:
            if cancel is not None and cancel.is_set():
                return
            try:
                chunks = llm.create_chat_completion(**kwargs)
            except (RuntimeError, ValueError) as exc:
                raise StageError("llm", f"{self.model_id} could not start generating: {exc}", hint=_RUN_HINT) from exc
            # closing the generator stops llama.cpp at once instead of generating to max_tokens
            with contextlib.closing(chunks):
                try:
                    for chunk in chunks:
                        if cancel is not None and cancel.is_set():
                            return
                        piece = chunk["choices"][0]["delta"].get("content")
                        if piece:
                            yield piece
                except (RuntimeError, ValueError) as exc:
                    raise StageError("llm", f"{self.model_id} failed while generating: {exc}", hint=_RUN_HINT) from exc

    def close(self) -> None:
        """Free the model's memory; the object is unusable afterwards."""
        llm, self._llm = self._llm, None
        if llm is not None:
            llm.close()

    def _live(self) -> Any:
        if self._llm is None:
            raise StageError("llm", f"{self.model_id} was unloaded", hint="load the model again before using it")
        return self._llm


def load_model(provider: ModelProvider, options: LLMOptions | None = None) -> LlamaChatModel:
    """Load `provider`'s GGUF with `options` (see `LLMOptions`; None: its defaults)."""
    manifest = provider.manifest
    opts = options_for(LLMOptions, options, manifest.id)
    from llama_cpp import Llama  # heavy backend: imported only when an LLM is loaded

    n_ctx = int(opts.context_length or manifest.context_length or 4096)
    if manifest.context_length:
        n_ctx = min(n_ctx, manifest.context_length)
    threads = int(opts.threads or 0) or os.cpu_count() or 1
    chat_format = manifest.metadata.get("chat_format") or None
    try:
        llm = Llama(
            model_path=str(provider.path),
            n_ctx=n_ctx,
            n_gpu_layers=int(opts.n_gpu_layers),
            n_threads=threads,
            n_batch=512,
            verbose=False,
            chat_format=chat_format,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise StageError("llm", f"cannot load {manifest.id} from {provider.path}: {exc}", hint=_LOAD_HINT) from exc
    return LlamaChatModel(llm, manifest.id)
