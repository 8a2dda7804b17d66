"""What a question asks about, by topic, and whether a memory speaks of it (engine/memory/topics.py): tables."""

from __future__ import annotations

import pytest

from engine.memory.relations import can_answer
from engine.memory.topics import speaks_of, topics_asked


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What is my favourite food?", ["favourite", "food"]),
        ("Какой у меня любимый цвет?", ["favourite", "colour"]),
        ("In which city was I born?", ["origin"]),
        ("Откуда я родом?", ["origin"]),
        ("When was I born?", ["birthday"]),  # a date, not a place
        ("Где я учился?", ["education"]),
        ("Какая у меня марка телефона?", ["phone"]),
        ("Сколько мне лет?", ["age"]),
        ("Сколько лет моей дочери?", ["age_of"]),
        ("Когда у моего брата день рождения?", ["birthday"]),
        ("What breed is my cat?", ["breed"]),
        ("На каком языке говорит моя жена?", ["language"]),
        ("What is my favourite season?", ["favourite", "season"]),
        ("What do I drink instead of coffee?", ["drink"]),
        ("What is my mother's name?", []),
        ("Во что я играю по выходным?", []),
    ],
)
def test_topics_asked(question: str, names: list[str]) -> None:
    assert [t.name for t in topics_asked(question)] == names


@pytest.mark.parametrize(
    ("question", "memory", "speaks"),
    [
        # the memories the gate let through for the never-said questions (docs/memory.md, "Measured")
        ("What is my favourite food?", "I'm allergic to peanuts, by the way.", False),
        ("What is my favourite food?", "My favourite band is Queen and I go swimming every Tuesday morning.", False),
        ("In which city was I born?", "Я переехал в Москву в прошлом месяце.", False),
        ("In which city was I born?", "Мой день рождения пятого мая.", False),
        ("Какой у меня любимый цвет?", "Мой день рождения пятого мая.", False),
        ("Какой у меня любимый цвет?", "Мы купили машину, синюю тойоту.", False),  # a colour, not a favourite
        ("Какой у меня любимый цвет?", "Я люблю играть в шахматы по выходным.", False),  # a favourite, no colour
        ("Сколько мне лет?", "У меня есть кот Барсик, ему три года.", False),
        # and the memories that do answer, in either language
        ("What is my favourite food?", "Моё любимое блюдо — пельмени.", True),
        ("What food am I allergic to?", "I'm allergic to peanuts, by the way.", True),
        ("In which city was I born?", "Я родился в Туле.", True),
        ("Какой у меня любимый цвет?", "My favourite colour is green.", True),
        ("Какой у меня любимый цвет?", "Я очень люблю зелёный.", True),
        ("Какого цвета наша машина?", "Мы купили машину, синюю тойоту.", True),
        ("What colour is our car?", "We bought a white car, a Toyota.", True),
        ("What do I drink instead of coffee?", "Я не пью кофе, только зелёный чай.", True),
        ("Где я учился?", "I studied physics at Tomsk University.", True),
        ("Какая у меня марка телефона?", "I have an iPhone.", True),
        ("Сколько мне лет?", "Мне 35 лет.", True),
        ("How old am I?", "I'm 35 and I live in Kazan.", True),
        ("Какая у меня любимая группа?", "My favourite band is Queen", True),
        ("Which country is my wife from?", "Моя жена Марина — архитектор.", False),
        ("Which country is my wife from?", "My wife Marina is from Spain.", True),
        ("What's my favourite movie?", "My favourite band is Queen", False),
        ("What's my favourite movie?", "Мой любимый фильм — «Брат».", True),
        ("Какой у меня рост?", "У меня есть кот Барсик, ему три года.", False),
        ("Какой у меня рост?", "I'm 180 cm tall.", True),
        # someone else's age, birthday, breed, language: the relation's memory must also speak of it
        ("Сколько лет моей сестре?", "My sister Olga lives in Berlin, she is a nurse.", False),
        ("Сколько лет Барсику?", "У меня есть кот Барсик, ему три года.", True),
        ("Сколько лет исполнится моей дочери?", "My daughter Emma turns seven on March 12.", True),
        ("Когда у моего брата день рождения?", "Мой брат Дмитрий работает врачом в Новосибирске.", False),
        ("When is Emma's birthday?", "My daughter Emma turns seven on March 12.", True),
        ("What breed is my cat?", "У меня есть кот Барсик, ему три года.", False),
        ("Какой породы моя собака?", "My dog is called Rex, he's a beagle.", True),
        ("На каком языке говорит моя жена?", "Моя жена Марина — архитектор.", False),
        ("What languages does my wife speak?", "My wife speaks German and French.", True),
        ("What is my favourite season?", "My favourite band is Queen", False),
        ("Какое у меня любимое время года?", "I love winter most.", True),
        # a question naming no topic: nothing ruled out
        ("What is my name?", "My name is Alex.", True),
    ],
)
def test_speaks_of(question: str, memory: str, speaks: bool) -> None:
    assert speaks_of(question, memory) is speaks
    assert can_answer(question, memory) is speaks  # no relation named: the topic decides
