"""Questions for one of the user's own attributes (engine/memory/slots.py): a table."""

from __future__ import annotations

import pytest

from engine.memory.slots import asked_slots


@pytest.mark.parametrize(
    ("question", "slots"),
    [
        ("Как меня зовут?", ("user.name",)),
        ("What is my name?", ("user.name",)),
        ("Which city do I live in now?", ("user.home_city",)),
        ("В каком городе я живу?", ("user.home_city",)),
        ("What do I do for a living?", ("user.job",)),
        ("Кем я работаю?", ("user.job",)),
        ("When is my birthday?", ("user.birthday",)),
        ("Когда у меня день рождения?", ("user.birthday",)),
        ("Моё имя?", ("user.name",)),
        # about someone else, or an attribute with no slot: the search answers
        ("Где я родился?", ()),
        ("Where does my sister live?", ()),
        ("Как зовут мою жену?", ()),
        ("What is my wife's profession?", ()),
    ],
)
def test_asked_slots(question: str, slots: tuple[str, ...]) -> None:
    assert asked_slots(question) == slots
