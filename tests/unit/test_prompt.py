"""The seed 3.3 prompt builder and the seed 3.2 repetition note."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app.paths import RESOURCES_DIR
from engine.errors import ConfigError
from engine.pipeline.prompt import (
    PromptBuilder,
    Prompts,
    describe_emotion,
    repetition_note,
    template_version,
)
from engine.stages.base import ChatMessage, EmotionResult

PERSONA = RESOURCES_DIR / "personas" / "default" / "en.md"
DEFAULT_TEMPLATE = RESOURCES_DIR / "prompts" / "chat.en.md"
SAD = EmotionResult("sad", valence=-0.7, arousal=-0.4, confidence=0.8, source="text")
ANGRY = EmotionResult("angry", valence=-0.8, arousal=0.9, confidence=0.6, source="text+voice")
HISTORY = (ChatMessage("user", "Hi there"), ChatMessage("assistant", "Hello! How are you?"))


@pytest.fixture(scope="module")
def builder() -> PromptBuilder:
    return PromptBuilder.from_resources("default", RESOURCES_DIR)


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    template, persona = tmp_path / "chat.md", tmp_path / "persona.md"
    shutil.copyfile(DEFAULT_TEMPLATE, template)
    shutil.copyfile(PERSONA, persona)
    return template, persona


def test_system_message_holds_persona_and_rules(builder: PromptBuilder) -> None:
    system = builder.build((), "Hello").messages[0]
    assert system.role == "system"
    assert "Sova" in system.content and "Always answer in English." in system.content
    assert "{" not in system.content  # every placeholder was filled
    assert "no markdown" in system.content and "square brackets" in system.content
    assert "Sova chat prompt" not in system.content  # the template's header comment is not sent
    assert not re.search("[а-яё]", system.content.lower())  # nothing nudges the model towards Russian


def test_each_reply_language_has_a_prompt_written_in_it() -> None:
    prompts = Prompts.from_resources("default", RESOURCES_DIR)
    ru = prompts.build((), "Привет", language="ru").messages[0].content
    assert "Сова" in ru and "Всегда отвечай по-русски." in ru and "квадратных скобках" in ru
    assert not re.search("[a-z]", ru.lower())
    assert prompts.build((), "Hello", language="en").messages[0] == prompts.build((), "Hello").messages[0]
    versions = {prompts.build((), "x", language=lang).template_version for lang in ("en", "ru")}
    assert len(versions) == 2  # each language's files have their own version


@pytest.mark.parametrize(
    "turn",
    [
        {},
        {"emotion": SAD, "language": "ru"},
        {"emotion": ANGRY, "language": "en", "memory_summary": "The user is called Anna and likes tea."},
        {"tools_transcript": "weather(Moscow) -> -5 C, snow", "language": "ru"},
        {"recent_replies": ["Of course! Tea is nice.", "Of course, I can help."]},
    ],
)
def test_system_prefix_is_identical_across_turns(builder: PromptBuilder, turn: dict[str, object]) -> None:
    reference = builder.build((), "Hello")
    prompt = builder.build(HISTORY, "How are you?", **turn)  # type: ignore[arg-type]
    assert prompt.messages[0] == reference.messages[0]
    assert prompt.system_prefix_hash == reference.system_prefix_hash
    assert prompt.template_version == reference.template_version


def test_per_turn_context_goes_into_the_last_user_message() -> None:
    prompt = Prompts.from_resources("default", RESOURCES_DIR).build(
        HISTORY,
        "Мне грустно сегодня.",
        memory_summary="Пользователя зовут Анна.",
        emotion=SAD,
        language="ru",
        tools_transcript="time() -> 23:40",
        recent_replies=["Конечно, я рядом.", "Конечно! Расскажи."],
    )
    last = prompt.messages[-1]
    assert last.role == "user"
    assert last.content.startswith("[") and last.content.endswith("\nМне грустно сегодня.")
    notes = last.content[: last.content.index("]")]
    for expected in ("Пользователя зовут Анна.", "sad", "настроение плохое, энергия низкая", "23:40", "Конечно"):
        assert expected in notes
    assert "Не начинай с 'Конечно'" in notes
    for expected in ("Анна", "23:40", "Не начинай"):
        assert expected not in prompt.messages[0].content


def test_history_stays_plain_and_turns_extend_the_cached_prefix(builder: PromptBuilder) -> None:
    turn1 = builder.build((), "What is tea?", emotion=SAD, language="en")
    # the conversation store keeps the plain words, never the notes block
    history = (ChatMessage("user", "What is tea?"), ChatMessage("assistant", "A drink made from leaves."))
    turn2 = builder.build(history, "And coffee?", emotion=ANGRY, language="en", memory_summary="Likes tea.")
    assert turn2.messages[1:3] == history
    assert turn2.messages[0] == turn1.messages[0]
    assert all(not m.content.startswith("[") for m in turn2.messages[1:-1])
    assert turn1.messages[-1].content != "What is tea?"  # turn 1 had notes...
    assert turn2.messages[-1].content.endswith("And coffee?")


def test_no_notes_means_the_plain_user_words(builder: PromptBuilder) -> None:
    prompt = builder.build(HISTORY, "Just this.")
    assert prompt.messages == (prompt.messages[0], *HISTORY, ChatMessage("user", "Just this."))


def test_braces_in_values_are_left_alone(builder: PromptBuilder) -> None:
    prompt = builder.build((), "Say {persona} and {notes}", memory_summary="likes {user_text}", language="en")
    content = prompt.messages[-1].content
    assert content.endswith("Say {persona} and {notes}")
    assert "likes {user_text}" in content


def test_history_with_a_system_message_is_refused(builder: PromptBuilder) -> None:
    with pytest.raises(ValueError, match="history"):
        builder.build((ChatMessage("system", "other rules"),), "Hi")


def test_template_version_is_12_hex_of_both_files(builder: PromptBuilder) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", builder.template_version)
    assert builder.template_version == template_version(DEFAULT_TEMPLATE.read_bytes(), PERSONA.read_bytes())


def test_version_follows_the_files(copies: tuple[Path, Path], builder: PromptBuilder) -> None:
    template, persona = copies
    assert PromptBuilder(template, persona).template_version == builder.template_version
    template.write_text(template.read_text() + "\n")
    changed_template = PromptBuilder(template, persona).template_version
    assert changed_template != builder.template_version
    persona.write_text(persona.read_text() + "You love owls.\n")
    changed_persona = PromptBuilder(template, persona)
    assert changed_persona.template_version not in (builder.template_version, changed_template)
    assert "You love owls." in changed_persona.system_message.content


def test_a_missing_optional_section_is_skipped(copies: tuple[Path, Path]) -> None:
    template, persona = copies
    text = template.read_text()
    start = text.index("## memory")
    template.write_text(text[:start] + text[text.index("## emotion") :])
    prompt = PromptBuilder(template, persona).build((), "Hi", memory_summary="SECRET MEMORY", emotion=SAD)
    assert "SECRET MEMORY" not in prompt.messages[-1].content
    assert "sad" in prompt.messages[-1].content


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: t.replace("## system", "## sistem"), "unknown section '## sistem'"),
        (lambda t: t.replace("## context", "## tools_extra"), "unknown section"),
        (lambda t: t.replace("{persona}", "{persona} {mood}"), "unknown placeholder {mood}"),
        (lambda t: t.replace("{memory_summary}", "{user_text}"), "section 'memory' uses unknown placeholder"),
        (lambda t: t[: t.index("## context")], "section '## context' is missing"),
    ],
)
def test_template_problems_are_reported(copies: tuple[Path, Path], change, problem: str) -> None:  # type: ignore[no-untyped-def]
    template, persona = copies
    template.write_text(change(template.read_text()))
    with pytest.raises(ConfigError) as info:
        PromptBuilder(template, persona)
    assert any(problem in p for p in info.value.problems)


def test_missing_persona_names_the_file(copies: tuple[Path, Path]) -> None:
    template, _ = copies
    with pytest.raises(ConfigError, match=r"nobody\.md"):
        PromptBuilder(template, template.parent / "nobody.md")


@pytest.mark.parametrize(
    ("valence", "arousal", "words"),
    [
        (0.8, 0.8, "positive mood, high energy"),
        (0.8, -0.8, "positive mood, low energy"),
        (0.0, 0.0, "neutral mood, moderate energy"),
        (0.3, -0.3, "neutral mood, moderate energy"),
        (-0.31, 0.31, "negative mood, high energy"),
        (-1.0, -1.0, "negative mood, low energy"),
    ],
)
def test_describe_emotion(valence: float, arousal: float, words: str) -> None:
    assert describe_emotion(EmotionResult("x", valence, arousal, 0.5, "text")) == words


@pytest.mark.parametrize(
    ("replies", "note"),
    [
        ([], ""),
        (["Paris is the capital of France."], ""),
        (["Paris is the capital.", "Berlin is nice."], ""),
        (["I am fine.", "I can help."], ""),  # a shared function word is no pattern
        (["It is late.", "It is early."], ""),  # nor are two of them
        (["It is in the box.", "It is in the car."], ""),  # only function words repeat
        (["Of course! Tea is nice.", "Of course, I can help."], "Do not start with 'Of course'."),
        (["Конечно, я помогу.", "Конечно! Давай подумаем."], "Do not start with 'Конечно'."),
        (["Sure thing.", "Sure, I can.", "Okay."], "Do not start with 'Sure'."),
        (["I think so.", "I think not.", "I know."], "Do not start with 'I think'."),
        (["Take a deep breath and relax.", "Please take a deep breath now."], "Avoid repeating: 'take a deep breath'."),
        (["Take a deep breath, take a deep breath."], ""),  # repeats within one reply only
        (
            ["Of course! I am here for you.", "Of course, I understand. I am here for you always.", "Hmm."],
            "Do not start with 'Of course'; avoid repeating: 'i am here for you'.",
        ),
        (
            ["Well, Sova says: drink water daily.", "Great. Drink water daily, sleep well.", "Okay, sleep well."],
            "Avoid repeating: 'drink water daily', 'sleep well'.",
        ),
        (
            ["Ты молодец. Всё будет хорошо.", "Не переживай, всё будет хорошо."],
            "Avoid repeating: 'всё будет хорошо'.",
        ),
        (["", "   "], ""),
    ],
)
def test_repetition_note(replies: list[str], note: str) -> None:
    assert repetition_note(replies) == note


def test_repetition_note_caps_the_phrases() -> None:
    replies = ["red apples green pears blue plums yellow lemons"] * 2
    note = repetition_note(replies, max_phrases=2, longest=2)
    assert note.split("avoid repeating: ")[1].count("'") == 4  # two quoted phrases


def test_repetition_note_reaches_the_prompt(builder: PromptBuilder) -> None:
    prompt = builder.build((), "Hi", recent_replies=["Of course! Hi.", "Of course, hello."])
    assert "Do not start with 'Of course'." in prompt.messages[-1].content
    assert builder.build((), "Hi", recent_replies=["Hi.", "Hello."]).messages[-1].content == "Hi"


def test_a_neutral_emotion_adds_no_note(builder: PromptBuilder) -> None:
    calm = EmotionResult("neutral", valence=0.0, arousal=-0.1, confidence=0.9, source="text")
    assert builder.build((), "Hi", emotion=calm).messages[-1].content == "Hi"
    assert "sad" in builder.build((), "Hi", emotion=SAD).messages[-1].content
