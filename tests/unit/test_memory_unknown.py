"""Which questions get the fixed "I don't know" when nothing stored fits (engine/memory/unknown.py): tables."""

from __future__ import annotations

import pytest

from engine.memory.unknown import DONT_KNOW, asks_personal_fact, dont_know, told_before

PERSONAL = [
    # the never-said questions of eval/scenarios/memory
    "What is my mother's name?", "What is my favourite food?", "Which university did I go to?",
    "What is my son's name?", "In which city was I born?", "Как зовут мою маму?", "Какой у меня любимый цвет?",
    "Сколько мне лет?", "Где я учился?", "Какая у меня марка телефона?",
    # other ways to ask for a fact only the user could have told
    "What's my name?", "Where do I live?", "How old am I?", "Do you know my name?", "Do you remember where I live?",
    "What car do I drive?", "How many kids do I have?", "Who is my best friend?", "Where was I born?",
    "What am I allergic to?", "What do I do for a living?", "What's my wife's job?", "what languages do i speak",
    "Как меня зовут?", "Кем я работаю?", "Когда у меня день рождения?", "Во что я играю по выходным?",
    "На что у меня аллергия?", "Откуда я родом?", "Как зовут моего брата?", "Какая у меня машина?",
    "Где живёт моя сестра?", "Сколько лет моей дочери?", "С кем я живу?", "Чем я занимаюсь?",
    "Как зовут мужа моей сестры?", "What does my father do for work?", "Where does my sister live?",
    "What did my grandfather study?",
    # as spoken: the assistant's name and particles first, no question mark
    "Сова, а где я учился", "Ну и как меня зовут?", "Hey Sova, what's my name", "ok sova where do i live",
]  # fmt: skip

NOT_PERSONAL = [
    # advice and requests about the user's world: the model answers
    "What should I cook for my mother?", "How do I fix my bike?", "What's a good name for my dog?",
    "Can you help me with my homework?", "What should I name my cat?", "Which is better for my back, yoga or pilates?",
    "Что мне приготовить на ужин?", "Где мне купить билет?", "Как мне выучить английский?",
    "Какую книгу мне почитать?", "Где я могу купить билет?", "Что мне подарить маме?", "Напомни мне позвонить маме",
    "Скажи мне, что такое любовь?", "What time do I have to leave?",
    # this conversation, the tools, the world
    "What did I just say?", "What did I tell you about my car?", "Что я тебе говорил про машину?",
    "What are my plans for tomorrow?", "What time is it?", "Tell me a joke", "What's the weather like in my city?",
    "Сколько будет два плюс два?", "Как у меня дела?", "Что ты думаешь обо мне?", "Who wrote War and Peace?",
    "What do you know about Moscow?", "What does my horoscope say?", "How does my code work?",
    "Какая сегодня погода?", "Who am I talking to?", "", "Сова", "Hey Sova, what should I cook for my mother?",
]  # fmt: skip


@pytest.mark.parametrize("question", PERSONAL)
def test_personal_fact_questions(question: str) -> None:
    assert asks_personal_fact(question)


@pytest.mark.parametrize("question", NOT_PERSONAL)
def test_other_questions_go_to_the_model(question: str) -> None:
    assert not asks_personal_fact(question)


@pytest.mark.parametrize(
    ("question", "earlier", "told"),
    [
        ("What is my brother's name?", ["My brother Ivan is a pilot."], True),  # the relation
        ("Как зовут моего брата?", ["My brother Ivan is a pilot."], True),  # across languages, by the relation
        ("Как меня зовут?", ["Меня зовут Алекс."], True),  # a content word
        ("Where was I born?", ["I was born in Tula."], True),
        ("What is my brother's name?", ["My sister lives in Paris.", "Tell me a joke."], False),
        ("Сколько мне лет?", ["Привет!", "Какая сегодня погода?"], False),
        ("Где я учился?", [], False),
    ],
)
def test_told_before(question: str, earlier: list[str], told: bool) -> None:
    assert told_before(question, earlier) is told


def test_the_fixed_reply_is_in_the_reply_language() -> None:
    assert dont_know("ru") == DONT_KNOW["ru"] and "Не знаю" in dont_know("ru")
    assert dont_know("en").startswith("I don't know")
    assert dont_know("de") == DONT_KNOW["en"]
