"""Seed 3.3's unified chat prompt, built from a template and a persona per reply language.

`resources/prompts/chat.<lang>.md` and `resources/personas/<persona>/<lang>.md`: a small model
answers in the language its prompt is written in far more reliably than it follows an instruction
to switch, so each reply language has its own prompt (`Prompts` picks it per turn).

The system message depends only on the template and the persona, so it is byte-identical at every
turn and llama.cpp keeps it in its KV cache. What changes per turn (memory, emotional state,
language, tool results, the repetition note of seed 3.2) goes into a bracketed notes block at the
start of the last user message only; history carries the plain user words, so older turns stay
byte-identical too and the cached prefix grows turn after turn.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ConfigError
from engine.stages.base import ChatMessage, EmotionResult, SpokenLanguage
from engine.stages.emotion.describe import RU_WORDS, describe_emotion  # re-exported: prompts use them

LANGUAGES: tuple[SpokenLanguage, ...] = ("en", "ru")

#: the placeholders each template section may use
SECTION_FIELDS: Mapping[str, frozenset[str]] = {
    "system": frozenset({"persona"}),
    "context": frozenset({"notes", "user_text"}),
    "memory": frozenset({"memory_summary"}),
    "emotion": frozenset({"emotion_label", "emotion_tone", "emotion_valence", "emotion_arousal", "emotion_confidence"}),
    "language.ru": frozenset(),
    "language.en": frozenset(),
    "tools": frozenset({"tools_transcript"}),
    "repetition": frozenset({"repetition_note"}),
}
REQUIRED_SECTIONS = ("system", "context")

_HEADING = re.compile(r"^## +(\S+)[ \t]*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Prompt:
    """The messages to send, and what identifies their template (recorded with every call)."""

    messages: tuple[ChatMessage, ...]
    template_version: str
    system_prefix_hash: str


def template_version(template: bytes, persona: bytes) -> str:
    """First 12 hex digits of sha256(template + persona)."""
    return hashlib.sha256(template + persona).hexdigest()[:12]


def parse_sections(text: str, source: str = "<template>") -> dict[str, str]:
    """`## name` sections of a template (text before the first is a comment); checks placeholders."""
    headings = list(_HEADING.finditer(text))
    sections: dict[str, str] = {}
    problems: list[str] = []
    for k, match in enumerate(headings):
        name = match.group(1)
        end = headings[k + 1].start() if k + 1 < len(headings) else len(text)
        body = text[match.end() : end].strip("\n").rstrip()
        if name not in SECTION_FIELDS:
            problems.append(f"{source}: unknown section '## {name}' (known: {', '.join(SECTION_FIELDS)})")
            continue
        for field in _PLACEHOLDER.findall(body):
            if field not in SECTION_FIELDS[name]:
                problems.append(f"{source}: section '{name}' uses unknown placeholder {{{field}}}")
        sections[name] = body
    problems += [f"{source}: section '## {name}' is missing" for name in REQUIRED_SECTIONS if name not in sections]
    if problems:
        raise ConfigError(problems, hint="fix the prompt template (see resources/prompts/chat.md)")
    return sections


def _fill(body: str, values: Mapping[str, str]) -> str:
    # one pass: braces inside the values (user text, persona) are never read as placeholders
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], body)


class PromptBuilder:
    """Builds a turn's messages from a template file and a persona file (both read once)."""

    def __init__(self, template_path: Path, persona_path: Path, language: SpokenLanguage = "en") -> None:
        self.language = language
        template_bytes = _read(template_path, "prompt template")
        persona_bytes = _read(persona_path, "persona")
        self._sections = parse_sections(template_bytes.decode("utf-8"), str(template_path))
        persona = persona_bytes.decode("utf-8").strip()
        self.template_version = template_version(template_bytes, persona_bytes)
        self.system_message = ChatMessage("system", _fill(self._sections["system"], {"persona": persona}))
        self.system_prefix_hash = hashlib.sha256(self.system_message.content.encode("utf-8")).hexdigest()[:16]

    @classmethod
    def from_resources(
        cls, persona: str, resources_dir: Path, language: SpokenLanguage = "en"
    ) -> PromptBuilder:
        """Build from `prompts/chat.<language>.md` and `personas/<persona>/<language>.md` under `resources_dir`."""
        return cls(
            resources_dir / "prompts" / f"chat.{language}.md",
            resources_dir / "personas" / persona / f"{language}.md",
            language,
        )

    def notes(
        self,
        *,
        memory_summary: str = "",
        emotion: EmotionResult | None = None,
        language: SpokenLanguage | None = None,
        tools_transcript: str = "",
        recent_replies: Sequence[str] = (),
    ) -> str:
        """Return this turn's context notes, one per line ("" when there are none)."""
        parts: list[str] = []

        def add(section: str, values: Mapping[str, str]) -> None:
            body = self._sections.get(section)
            if body:
                parts.append(_fill(body, values))

        if memory_summary.strip():
            add("memory", {"memory_summary": memory_summary.strip()})
        if tools_transcript.strip():
            add("tools", {"tools_transcript": tools_transcript.strip()})
        # a neutral mood tells the model nothing, and every note costs prompt reading before the
        # first word of the reply (Russian notes take 2-3 times the tokens of English ones)
        if emotion is not None and emotion.label != "neutral":
            add(
                "emotion",
                {
                    "emotion_label": RU_WORDS.get(emotion.label, emotion.label)
                    if self.language == "ru"
                    else emotion.label,
                    "emotion_tone": describe_emotion(emotion, self.language),
                    "emotion_valence": f"{emotion.valence:+.2f}",
                    "emotion_arousal": f"{emotion.arousal:+.2f}",
                    "emotion_confidence": f"{emotion.confidence:.2f}",
                },
            )
        note = repetition_note(recent_replies, language=self.language)
        if note:
            add("repetition", {"repetition_note": note})
        if language is not None:
            add(f"language.{language}", {})
        return "\n".join(parts)

    def build(
        self,
        history: Sequence[ChatMessage],
        user_text: str,
        *,
        memory_summary: str = "",
        emotion: EmotionResult | None = None,
        language: SpokenLanguage | None = None,
        tools_transcript: str = "",
        recent_replies: Sequence[str] = (),
    ) -> Prompt:
        """System + history (plain user/assistant messages) + the user's words after this turn's notes."""
        if any(m.role == "system" for m in history):
            raise ValueError("history must hold only user and assistant messages (the system message is built here)")
        notes = self.notes(
            memory_summary=memory_summary,
            emotion=emotion,
            language=language,
            tools_transcript=tools_transcript,
            recent_replies=recent_replies,
        )
        content = _fill(self._sections["context"], {"notes": notes, "user_text": user_text}) if notes else user_text
        messages = (self.system_message, *history, ChatMessage("user", content))
        return Prompt(messages, self.template_version, self.system_prefix_hash)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            [f"{path}: cannot read the {what}: {exc.strerror or exc}"],
            hint="check app.persona in your config, or restore the file from the Sova installation",
        ) from None


# --- seed 3.2: presence penalty by prompt reformatting -------------------------------------------

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
#: function words: repeating these is not worth a note
STOPWORDS = frozenset(
    {
        "a", "an", "the", "i", "i'm", "you", "it", "it's", "is", "are", "was", "be", "been", "to", "of", "and",
        "or", "but", "in", "on", "at", "for", "with", "that", "this", "as", "so", "me", "my", "your", "we", "he",
        "she", "they", "not", "do", "can", "will", "just",
        "я", "ты", "вы", "он", "она", "оно", "мы", "они", "и", "в", "во", "на", "с", "со", "к", "ко", "по", "о", "об",
        "а", "но", "что", "это", "не", "же", "ли", "бы", "у", "из", "за", "для", "то", "как", "мне", "тебе", "вам",
        "так", "все", "всё", "есть", "был", "была",
    }
)


def _ngrams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[k : k + n]) for k in range(len(words) - n + 1)}


def repetition_note(
    recent_replies: Sequence[str], *, max_phrases: int = 3, longest: int = 6, language: SpokenLanguage = "en"
) -> str:
    """Return an instruction against repeated openings and phrases of `recent_replies` ("" if none).

    Openings: the first word shared by two or more replies, or the first two words when the first
    is a function word and the second is not ("Of course"). Phrases: word n-grams (2..`longest`
    words, not all function words) found in two or more replies (after their reported opening),
    longest first, skipping any that overlaps one already chosen.
    """
    tokens = [_WORD.findall(r) for r in recent_replies if r.strip()]
    lowered = [[w.lower() for w in ws] for ws in tokens]
    newest_first = list(zip(reversed(tokens), reversed(lowered), strict=True))

    def shown(key: tuple[str, ...]) -> str:
        # the opening as the most recent reply wrote it ("Of course", not "of course")
        return next(" ".join(orig[: len(key)]) for orig, low in newest_first if tuple(low[: len(key)]) == key)

    starts1 = Counter(ws[0] for ws in lowered if ws)
    starts2 = Counter(tuple(ws[:2]) for ws in lowered if len(ws) >= 2)
    openings: list[tuple[str, ...]] = []
    for _, low in newest_first:
        # a repeated first word covers every opening it starts; a function word needs its second word
        if low and low[0] not in STOPWORDS and starts1[low[0]] >= 2:
            key: tuple[str, ...] = (low[0],)
        elif len(low) >= 2 and starts2[tuple(low[:2])] >= 2 and low[1] not in STOPWORDS:
            key = tuple(low[:2])
        else:
            continue
        if key not in openings:
            openings.append(key)

    # the reported openings are not phrases too: cut them off before counting n-grams
    bodies = [next((low[len(o) :] for o in openings if tuple(low[: len(o)]) == o), low) for low in lowered]
    chosen: list[tuple[str, ...]] = []
    taken: set[tuple[str, ...]] = set()
    for n in range(longest, 1, -1):
        df: Counter[tuple[str, ...]] = Counter()
        for low in bodies:
            df.update(_ngrams(low, n))
        first_seen: dict[tuple[str, ...], int] = {}
        for k, low in enumerate(bodies):
            for gram in _ngrams(low, n):
                first_seen.setdefault(gram, k)
        for gram in sorted(df, key=lambda g: (-df[g], first_seen[g], g)):
            if len(chosen) >= max_phrases:
                break
            if df[gram] < 2 or all(w in STOPWORDS for w in gram) or _ngrams(gram, 2) & taken:
                continue
            chosen.append(gram)
            taken |= _ngrams(gram, 2)

    ru = language == "ru"
    parts: list[str] = []
    if openings:
        start, joiner = ("Не начинай с ", " или ") if ru else ("Do not start with ", " or ")
        parts.append(start + joiner.join(f"'{shown(o)}'" for o in openings))
    if chosen:
        verb = ("не повторяй" if parts else "Не повторяй") if ru else ("avoid" if parts else "Avoid")
        parts.append(verb + (": " if ru else " repeating: ") + ", ".join(f"'{' '.join(g)}'" for g in chosen))
    return "; ".join(parts) + "." if parts else ""


class Prompts:
    """One `PromptBuilder` per reply language; `build` picks the one for the turn's language."""

    def __init__(self, builders: Mapping[SpokenLanguage, PromptBuilder]) -> None:
        self.builders = dict(builders)

    @classmethod
    def from_resources(cls, persona: str, resources_dir: Path) -> Prompts:
        """Both languages' shipped templates with `persona`."""
        return cls({lang: PromptBuilder.from_resources(persona, resources_dir, lang) for lang in LANGUAGES})

    def build(
        self,
        history: Sequence[ChatMessage],
        user_text: str,
        *,
        language: SpokenLanguage | None = None,
        memory_summary: str = "",
        emotion: EmotionResult | None = None,
        tools_transcript: str = "",
        recent_replies: Sequence[str] = (),
    ) -> Prompt:
        """The prompt in `language` (English when unknown); the rest as for `PromptBuilder.build`."""
        return self.builders[language or "en"].build(
            history,
            user_text,
            memory_summary=memory_summary,
            emotion=emotion,
            language=language,
            tools_transcript=tools_transcript,
            recent_replies=recent_replies,
        )
