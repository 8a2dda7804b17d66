"""Text said as words before TTS (issue 13 point 2): a table of sentences as written and as spoken."""

from __future__ import annotations

import random
import sys

import pytest

from engine.stages.tts import normalise
from engine.stages.tts.normalise import russian_time, speakable

SPOKEN = [
    # Russian: ru-normalizr puts numbers in the right case and gender...
    ("Сколько будет 2+2?", "ru", "Сколько будет два плюс два?"),
    ("2+2=4", "ru", "два плюс два равно четыре"),
    ("У меня 21 яблоко.", "ru", "У меня двадцать одно яблоко."),
    ("Это 2 кошки и 1 собака.", "ru", "Это две кошки и одна собака."),
    ("Стоит 1 250,50 руб.", "ru", "Стоит одну тысячу двести пятьдесят рублей пятьдесят копеек."),
    ("Это было в 1999 году.", "ru", "Это было в тысяча девятьсот девяносто девятом году."),
    ("Встреча 1 мая.", "ru", "Встреча первого мая."),
    ("Родился 01.05.2024.", "ru", "Родился первого мая две тысячи двадцать четвёртого года."),
    ("Вес 5 кг.", "ru", "Вес пять килограмм."),
    ("Ехать 10 км.", "ru", "Ехать десять километров."),
    ("Осталось 3 ч.", "ru", "Осталось три часа."),
    ("Скорость 100 км/ч.", "ru", "Скорость сто километров в час."),
    ("Температура −5 °C.", "ru", "Температура минус пять градусов Цельсия."),
    ("Это стоит 100 руб.", "ru", "Это стоит сто рублей."),
    ("Билет стоит 100 ₽.", "ru", "Билет стоит сто рублей."),
    ("Всего $5.", "ru", "Всего пять долларов."),
    ("Скидка 50%.", "ru", "Скидка пятьдесят процентов."),
    ("На 20% дешевле.", "ru", "На двадцать процентов дешевле."),
    ("Это вкусно, т.е. полезно.", "ru", "Это вкусно, то есть полезно."),
    ("Поздно, т.к. темно.", "ru", "Поздно, так как темно."),
    ("Яблоки, груши и др.", "ru", "Яблоки, груши и другие."),
    ("Это было в 2024 г.", "ru", "Это было в две тысячи двадцать четвёртом году."),
    ("Живу на 5-м этаже.", "ru", "Живу на пятом этаже."),
    ("Примерно 3,5 литра.", "ru", "Примерно три целых пять десятых литра."),
    ("В 90-х годах.", "ru", "В девяностых годах."),
    ("XX век", "ru", "двадцатый век"),
    ("Глава IV.", "ru", "Глава четвёртая."),
    # ...and what it reads wrong is fixed around it
    ("Встреча в 15:30.", "ru", "Встреча в пятнадцать тридцать."),  # not "пятнадцать, тридцать"
    ("Будильник на 7:05.", "ru", "Будильник на семь ноль пять."),
    ("Работаем с 9:00 до 18:00.", "ru", "Работаем с девяти до восемнадцати."),  # not "часов ноля минут"
    ("Успеем до 15:30?", "ru", "Успеем до пятнадцати тридцати?"),
    ("Приходи к 9:00.", "ru", "Приходи к девяти."),
    ("Мост закрывают в 0:00.", "ru", "Мост закрывают в полночь."),
    ("10/2=5", "ru", "десять разделить на два равно пять"),  # not "десять вторых"
    ("2 x 3 = 6", "ru", "два умножить на три равно шесть"),  # not a Latin "x"
    ("(2+2)*2=8", "ru", "(два плюс два) умножить на два равно восемь"),
    ("Это стоит £5.", "ru", "Это стоит пять фунтов."),  # not "£пять"
    ("Тебе уже 18+?", "ru", "Тебе уже восемнадцать плюс?"),  # not "восемнадцать +"
    # English: espeak reads plain numbers itself; what it reads wrong is rewritten
    ("It costs $5 at 15:30.", "en", "It costs 5 dollars at fifteen thirty."),
    ("2+2=4", "en", "2 plus 2 equals 4"),
    ("7 - 3 = 4", "en", "7 minus 3 equals 4"),
    ("10/2=5", "en", "10 divided by 2 equals 5"),
    ("3*4=12", "en", "3 times 4 equals 12"),
    ("2^10", "en", "2 to the power of 10"),
    ("We meet at 9:00.", "en", "We meet at nine o'clock."),
    ("Wake me at 7:05 am.", "en", "Wake me at seven oh five am."),
    ("It ends at 15:00.", "en", "It ends at fifteen hundred."),
    ("The shop opens at 0:00.", "en", "The shop opens at midnight."),
    ("Only $1.", "en", "Only 1 dollar."),
    ("That is $1.50.", "en", "That is 1 dollar 50 cents."),
    ("Just $0.99 today.", "en", "Just 99 cents today."),
    ("They raised $2.5 million.", "en", "They raised 2.5 million dollars."),
    ("It is €10.", "en", "It is 10 euros."),
    ("It is 5 km away.", "en", "It is 5 kilometers away."),
    ("It weighs 1 kg.", "en", "It weighs 1 kilogram."),
    ("Drive 100 km/h for 3 h.", "en", "Drive 100 kilometers per hour for 3 hours."),
    ("Wait 5 min.", "en", "Wait 5 minutes."),
    ("It is 20°C outside.", "en", "It is 20 degrees Celsius outside."),
    ("Add 1/2 cup of milk.", "en", "Add one half cup of milk."),
    ("Music of the 1990s.", "en", "Music of the nineteen nineties."),
    ("The '80s were fun.", "en", "The eighties were fun."),
    ("Born in 1999.", "en", "Born in nineteen ninety-nine."),
    ("It was May 1, 2024.", "en", "It was May first, twenty twenty-four."),
    ("Fruit, e.g. apples.", "en", "Fruit, for example apples."),
    ("Lunch, i.e. noon.", "en", "Lunch, that is noon."),
    ("Mr. Smith is here.", "en", "Mister Smith is here."),
    ("Open 24/7.", "en", "Open twenty-four seven."),
    ("We are #1.", "en", "We are number 1."),
]

UNCHANGED = [
    ("Привет! Как дела?", "ru"),
    ("Я сова.", "ru"),
    ("Привет ,  мир", "ru"),  # nothing to say differently: even odd spacing stays as written
    ("Это ИИ.", "ru"),
    ("Это MIX и размер XL.", "ru"),
    ("Открой Firefox, пожалуйста.", "ru"),
    ("", "ru"),
    ("   ", "ru"),
    ("Hello there!", "en"),
    ("I am fine, thanks.", "en"),
    ("It is 1st.", "en"),  # espeak reads these right: left as written
    ("It is 3.5 times bigger.", "en"),
    ("We grew 50%.", "en"),
    ("", "en"),
]


@pytest.mark.parametrize(("written", "language", "spoken"), SPOKEN)
def test_said_as_words(written: str, language: str, spoken: str) -> None:
    assert speakable(written, language) == spoken  # type: ignore[arg-type]


@pytest.mark.parametrize(("written", "language"), UNCHANGED)
def test_nothing_to_change_comes_back_as_is(written: str, language: str) -> None:
    assert speakable(written, language) is written  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hour", "minute", "case", "words"),
    [
        (15, 30, "nominative", "пятнадцать тридцать"),
        (7, 5, "nominative", "семь ноль пять"),
        (15, 0, "nominative", "пятнадцать ноль ноль"),
        (1, 15, "nominative", "час пятнадцать"),
        (21, 1, "nominative", "двадцать один ноль одна"),  # минута is feminine
        (15, 30, "genitive", "пятнадцати тридцати"),
        (21, 22, "genitive", "двадцати одного двадцати двух"),
        (9, 0, "genitive", "девяти"),
        (9, 0, "dative", "девяти"),
        (0, 0, "nominative", "полночь"),
        (0, 0, "genitive", "полуночи"),
    ],
)
def test_russian_time(hour: int, minute: int, case: str, words: str) -> None:
    assert russian_time(hour, minute, case) == words


def test_random_text_never_raises_and_never_goes_silent() -> None:
    pieces = list("0123456789 .,:;-+=*/%$€£₽№()[]«»\"'!?^×÷—–−°#&абвгдеёжзиклмнопрстуфхцчшщыьэюяАБВГДabcxyzIVX\n")
    pieces += ["т.е.", "г.", "руб.", "кг", "км", "ч", "15:30", "0:00", "2+2=4", "1/2", "$5", "e.g.", "1990s"]
    pieces += [" в ", " до ", " к "]
    rng = random.Random(13)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        for language in ("ru", "en"):
            spoken = speakable(text, language)  # type: ignore[arg-type]
            assert isinstance(spoken, str)
            if text.strip():
                assert spoken.strip(), (text, language)


def test_a_failing_normaliser_leaves_the_text_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(normalise, "russian", broken)
    assert speakable("У меня 21 яблоко.", "ru") == "У меня 21 яблоко."


def test_the_unlicensed_ipa_package_is_never_imported() -> None:
    # ru-normalizr installs eng_to_ipa (no licence declared) for its Latin transliteration, which is off
    normalise.prepare()
    speakable("Открой YouTube в 15:30, это стоит $5.", "ru")
    assert "eng_to_ipa" not in sys.modules
