"""The scrubber, by a Russian and English table: what must be caught, what must be left alone; restore."""

from __future__ import annotations

import pytest

from engine.privacy.recognisers import iban_ok, inn_ok, luhn_ok, snils_ok
from engine.privacy.remote_model import scrub_messages
from engine.privacy.scrub import KINDS, Restorer, restore, scrub
from engine.stages.base import ChatMessage

DENYLIST = ("Газпромбанк", "Сирень", "Project Falcon")

#: (text, language, the item that must not remain, its kind)
CAUGHT: list[tuple[str, str, str, str]] = [
    ("Позвони мне на +7 916 123-45-67", "ru", "+7 916 123-45-67", "phone"),
    ("Домашний 8 (495) 123-45-67, звони вечером", "ru", "8 (495) 123-45-67", "phone"),
    ("номер 89161234567", "ru", "89161234567", "phone"),
    ("Call me at +1 415 555 2671 tonight", "en", "+1 415 555 2671", "phone"),
    ("My London number is +44 20 7946 0958", "en", "+44 20 7946 0958", "phone"),
    ("Напиши на ivan.petrov@yandex.ru", "ru", "ivan.petrov@yandex.ru", "email"),
    ("Send it to john_doe+news@example.co.uk please", "en", "john_doe+news@example.co.uk", "email"),
    ("Моя карта 4111 1111 1111 1111", "ru", "4111 1111 1111 1111", "card"),
    ("Pay with card 5500-0000-0000-0004", "en", "5500-0000-0000-0004", "card"),
    ("карта 2200150000000015 на имя", "ru", "2200150000000015", "card"),
    ("IBAN DE89 3704 0044 0532 0130 00 for the rent", "en", "DE89 3704 0044 0532 0130 00", "iban"),
    ("Transfer to GB82WEST12345698765432", "en", "GB82WEST12345698765432", "iban"),
    ("Мой ИНН 500100732259", "ru", "500100732259", "inn"),
    ("ИНН организации 7707083893", "ru", "7707083893", "inn"),
    ("СНИЛС 112-233-445 95", "ru", "112-233-445 95", "snils"),
    ("мой снилс 11223344595, запиши", "ru", "11223344595", "snils"),
    ("Паспорт 4510 123456 выдан в 2015 году", "ru", "4510 123456", "passport"),
    ("серия 45 10 номер 123456", "ru", "45 10 номер 123456", "passport"),
    ("My Russian passport no. 4510 654321", "en", "4510 654321", "passport"),
    ("Позвони Маше завтра", "ru", "Маше", "person"),
    ("Напомни Ивану Петровичу Сидорову про встречу", "ru", "Ивану Петровичу Сидорову", "person"),
    ("скажи андрею, что я опоздаю", "ru", "андрею", "person"),
    ("Я встретил Анну Каренину у театра", "ru", "Анну Каренину", "person"),
    ("Remind John Smith about the invoice", "en", "John Smith", "person"),
    ("Ask Dr. Brown about the results", "en", "Brown", "person"),
    ("Hi, my name is Olivia", "en", "Olivia", "person"),
    ("In May I met Will Turner at the bar", "en", "Will Turner", "person"),
    ("Tell Sarah's mother I called", "en", "Sarah", "person"),
    ("Как дела в Газпромбанке?", "ru", "Газпромбанке", "denylist"),
    ("Что нового о проекте Сирени?", "ru", "Сирени", "denylist"),
    ("Any news on Project Falcon?", "en", "Project Falcon", "denylist"),
]
#: (text, language): nothing in them is personal data, so nothing may change
ALONE: list[tuple[str, str]] = [
    ("Купи 3 яблока за 150 рублей", "ru"),
    ("Встреча в 15:30 12.05.2024", "ru"),
    ("It costs $1,299.99 with tax", "en"),
    ("Between 1984 and 2024 a lot changed", "en"),
    ("Order number 123456789 has shipped", "en"),
    ("Will you remind me in May?", "en"),
    ("Mark the date: June 5", "en"),
    ("Вера в себя важна", "ru"),
    ("лев спит в зоопарке", "ru"),
    ("Москва — столица России", "ru"),
    ("Pi is 3.14159265358979", "en"),
    ("Температура 36.6, давление 120/80", "ru"),
    ("The meeting is at 10:45 on 2024-05-12", "en"),
    ("Индекс 119991, дом 5, квартира 12", "ru"),
    ("ISBN 978-3-16-148410-0", "en"),
    ("Grace period is 30 days", "en"),
    ("Сколько будет 2+2?", "ru"),
    ("Hope you are well", "en"),
    ("Bill me later for 3 items", "en"),
    ("Paris is the capital of France", "en"),
    ("Число 4111111111111112 не карта", "ru"),
    ("СНИЛС 112-233-445 96 с ошибкой", "ru"),
    ("ИНН 500100732250 неверный", "ru"),
    ("Поставь таймер на 25 минут", "ru"),
    ("Сиреневый шарф в шкафу", "ru"),
    ("The falcon flew over the project site", "en"),
    ("Turn the volume to 75 percent", "en"),
    ("Population of 146 150 789 people", "en"),
    ("Рейс SU 1234 в 08:05", "ru"),
    ("Chapter 11, page 245", "en"),
]


def test_the_table_is_big_enough_and_balanced() -> None:
    assert len(CAUGHT) + len(ALONE) >= 50
    assert abs(len(CAUGHT) - len(ALONE)) <= 2
    assert {kind for *_, kind in CAUGHT} == set(KINDS.values())
    assert {lang for _, lang, *_ in CAUGHT} == {"ru", "en"} == {lang for _, lang in ALONE}


@pytest.mark.parametrize(("text", "language", "item", "kind"), CAUGHT)
def test_caught(text: str, language: str, item: str, kind: str) -> None:
    scrubbed = scrub(text, denylist=DENYLIST, language=language)
    assert item not in scrubbed.text
    assert kind in scrubbed.kinds
    assert item in scrubbed.mapping.values()
    assert restore(scrubbed.text, scrubbed.mapping) == text


@pytest.mark.parametrize(("text", "language"), ALONE)
def test_left_alone(text: str, language: str) -> None:
    scrubbed = scrub(text, denylist=DENYLIST, language=language)
    assert (scrubbed.text, scrubbed.kinds, dict(scrubbed.mapping)) == (text, (), {})


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (luhn_ok, "4111111111111111", "4111111111111112"),
        (iban_ok, "GB82WEST12345698765432", "GB83WEST12345698765432"),
        (inn_ok, "7707083893", "7707083894"),
        (inn_ok, "500100732259", "500100732250"),
        (snils_ok, "11223344595", "11223344596"),
    ],
)
def test_checksums(check: object, good: str, bad: str) -> None:
    assert callable(check)
    assert check(good) is True
    assert check(bad) is False


def test_the_same_item_gets_the_same_placeholder() -> None:
    text = "Card 4111111111111111 and 4111 1111 1111 1111; call +7 916 123-45-67 or 8 916 123 45 67, or +1 415 555 2671"
    scrubbed = scrub(text, language="en")
    assert scrubbed.text == "Card [CARD_1] and [CARD_1]; call [PHONE_1] or [PHONE_1], or [PHONE_2]"
    assert scrubbed.kinds == ("card", "phone")


def test_one_table_over_the_messages_of_a_request() -> None:
    messages = [
        ChatMessage("system", "Notes: the user's wife is Olivia, phone +44 20 7946 0958."),
        ChatMessage("user", "Позвони Маше на +44 20 7946 0958"),
        ChatMessage("user", "And tell Olivia too"),
    ]
    sent, table = scrub_messages(messages, denylist=())
    assert table is not None
    assert [m.role for m in sent] == ["system", "user", "user"]
    assert "[PHONE_1]" in sent[0].content and "[PHONE_1]" in sent[1].content
    assert "[PERSON_1]" in sent[0].content and "[PERSON_1]" in sent[2].content
    assert "[PERSON_2]" in sent[1].content  # Маша
    assert all("7946" not in m.content and "Olivia" not in m.content for m in sent)
    assert table.kinds == ("person", "phone")


def test_restore_forgives_a_model_that_drops_brackets_or_case() -> None:
    mapping = {"[PHONE_1]": "+7 916 123-45-67", "[PERSON_1]": "Маша"}
    assert restore("Позвоню [PERSON_1] на PHONE_1, или [person_1]?", mapping) == (
        "Позвоню Маша на +7 916 123-45-67, или Маша?"
    )
    assert restore("[PHONE_2] and XPHONE_1 stay", mapping) == "[PHONE_2] and XPHONE_1 stay"


REPLY = "Хорошо, [PERSON_1], я позвоню на [PHONE_1] и напишу на EMAIL_1. Perfect!"
MAPPING = {"[PERSON_1]": "Маша", "[PHONE_1]": "+7 916 123-45-67", "[EMAIL_1]": "masha@mail.ru"}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11])
def test_restorer_over_any_split(size: int) -> None:
    restorer = Restorer(MAPPING)
    pieces = [REPLY[i : i + size] for i in range(0, len(REPLY), size)]
    out = [restorer.feed(p) for p in pieces]
    out.append(restorer.flush())
    assert "".join(out) == restore(REPLY, MAPPING)
    assert "Маша" in "".join(out) and "PHONE" not in "".join(out)


def test_restorer_holds_only_a_possible_placeholder() -> None:
    restorer = Restorer(MAPPING)
    assert restorer.feed("Call [PHO") == "Call "
    assert restorer.feed("NE_1] now, [") == "+7 916 123-45-67 now, "
    assert restorer.feed("1] done") == "[1] done"
    assert restorer.feed(" pe") == " "  # could be the start of PERSON_1
    assert restorer.feed("ople") == "people"
    assert Restorer({}).feed("[PHO") == "[PHO"  # nothing scrubbed: nothing held
