"""Who a question or a memory is about, by words (engine/memory/relations.py): tables."""

from __future__ import annotations

import pytest

from engine.memory.relations import can_answer, relations_in


@pytest.mark.parametrize(
    ("text", "heads"),
    [
        ("What is my mother's name?", {"mother"}),
        ("Как зовут мою маму?", {"mother"}),
        ("What is my cat's name?", {"cat", "pet"}),
        ("Какой породы моя собака?", {"dog", "pet"}),
        ("Где живёт моя сестра?", {"sister"}),
        ("What is my career?", set()),  # "car" only as a word
        ("Last season we won", set()),  # "son" only as a word
        ("Который час?", set()),  # "кот" only as a word
        ("My sister's dog", {"sister", "dog", "pet"}),
        ("Как зовут мою бабушку?", {"grandmother"}),
        ("My grandmother Anna", {"grandmother"}),  # not the mother
        ("Как зовут моего начальника?", {"boss"}),
        ("Где живут мои родители?", {"parents"}),
        ("Мой друг Иван", {"friend"}),
        ("Другие люди так не думают", set()),  # "друг" only as a word
        ("My friendly neighbour", {"neighbour"}),
        ("My daughter Emma", {"daughter", "children"}),
    ],
)
def test_relations_in(text: str, heads: set[str]) -> None:
    assert relations_in(text) == heads


@pytest.mark.parametrize(
    ("question", "memory", "answers"),
    [
        # the never-said questions of the memory scenarios, against the memories that once answered them
        ("Как зовут мою маму?", "Моя жена Марина — архитектор", False),
        ("What is my mother's name?", "My sister Olga lives in Berlin", False),
        ("What is my son's name?", "My daughter Emma turns seven", False),
        ("Как зовут мою бабушку?", "Моя жена Марина — архитектор", False),
        ("Who is my boss?", "My name is Alex and I work as a software engineer.", False),
        ("Сколько у меня детей?", "My daughter Emma turns seven on March 12.", True),
        # across languages, by the same table
        ("What is my cat's name?", "У меня есть кот Барсик, ему три года", True),
        ("Какой породы моя собака?", "My dog is called Rex, he's a beagle", True),
        ("What is my wife's profession?", "Моя жена Марина — архитектор", True),
        ("Какая у меня любимая группа?", "My favourite band is Queen", True),
        ("What car did we buy?", "Мы купили машину, синюю тойоту", True),
        # no relation named: the memory is not ruled out
        ("What do I do for a living?", "I work as a teacher", True),
    ],
)
def test_can_answer(question: str, memory: str, answers: bool) -> None:
    assert can_answer(question, memory) is answers
