"""Questions about one of the user's own attributes, answered by the fact filed under it (pure).

"Как меня зовут?" and "My name is Alex" share no word and, across languages, sit too close to the
question's other neighbours for the vector gate to single them out. The writer files such facts under
a subject ("user.name", engine/memory/supersede.py keeps it honest); a question that asks for that
attribute gets the current fact with that subject directly, ahead of the search hits.
"""

from __future__ import annotations

import re

from engine.memory.topics import fold

_SLOTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("user.name", re.compile(
        r"как меня зовут|как мое имя|мое имя|what('s| is) my name|who am i\b|do you know my name|"
        r"my name\?")),
    ("user.home_city", re.compile(
        r"где я (сейчас )?живу|в каком городе я (сейчас )?живу|где я теперь живу|куда я переехал|"
        r"where do i live|which city do i live|what city do i live|where i live now|where did i move")),
    ("user.job", re.compile(
        r"кем я работаю|где я работаю|какая у меня (работа|профессия)|моя (работа|профессия)\?|"
        r"what do i do for a living|where do i work|what('s| is) my (job|profession|occupation)|what do i work as")),
    ("user.birthday", re.compile(
        r"когда у меня день рождения|когда мой день рождения|когда я родил(ся|ась)|"
        r"when('s| is) my birthday|when was i born")),
)  # fmt: skip


def asked_slots(question: str) -> tuple[str, ...]:
    """The subjects of the user's attributes `question` asks for ("Как меня зовут?" -> ("user.name",))."""
    text = fold(question)  # the patterns are written with "е"
    return tuple(subject for subject, pattern in _SLOTS if pattern.search(text))
