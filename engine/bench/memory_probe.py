"""A small RU/EN probe of recall's quality with the real embedding model: hits that pass the gate, and abstention.

Facts as the user might state them, questions asked later (same language and across), and questions
about things never said. `sova bench --memory` prints its figures beside the latency ones; they
calibrated the gate's defaults (docs/memory.md).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.memory.embedding import EmbeddingModel
from engine.memory.recall import Gate, Recaller
from engine.memory.store import MemoryStore
from engine.memory.types import NewMemory

FACTS: tuple[tuple[str, str], ...] = (
    ("en", "My sister's name is Olga"),
    ("en", "I live in Kazan"),
    ("en", "My dog is called Barsik"),
    ("en", "I work as a nurse at the city hospital"),
    ("en", "I am allergic to peanuts"),
    ("en", "My birthday is on March 3"),
    ("ru", "Я люблю зелёный чай"),
    ("ru", "Мой брат Павел живёт в Новосибирске"),
    ("ru", "Я играю на гитаре по выходным"),
    ("ru", "У меня есть кошка Мурка"),
    ("ru", "Я работаю программистом в банке"),
    ("ru", "Мы с женой поедем в Грузию в мае"),
    ("en", "I drive a blue Toyota"),
    ("en", "My favourite film is Solaris"),
    ("ru", "Моя дочь Аня учится в третьем классе"),
    ("ru", "Я не ем мясо, я вегетарианец"),
    ("en", "I run five kilometres every morning"),
    ("en", "My wife Maria is a teacher"),
    ("ru", "Мой любимый писатель — Чехов"),
    ("ru", "Я боюсь высоты"),
    ("en", "I am learning Spanish"),
    ("ru", "У меня аллергия на кошачью шерсть"),
    ("en", "My son plays football on Saturdays"),
    ("ru", "Я родился в Самаре"),
)

#: (question, index of the fact that answers it)
QUESTIONS: tuple[tuple[str, int], ...] = (
    ("Как зовут мою сестру?", 0),
    ("Where do I live?", 1),
    ("What is my dog's name?", 2),
    ("Кем я работаю в больнице?", 3),
    ("Do I have any food allergies?", 4),
    ("Когда у меня день рождения?", 5),
    ("What tea do I like?", 6),
    ("Where does my brother live?", 7),
    ("What do I do on weekends?", 8),
    ("What's my cat called?", 9),
    ("Где я работаю?", 10),
    ("Where are we going in May?", 11),
    ("Какая у меня машина?", 12),
    ("Какой мой любимый фильм?", 13),
    ("In which grade is my daughter?", 14),
    ("Do I eat meat?", 15),
    ("Как часто я бегаю?", 16),
    ("What does my wife do?", 17),
    ("Who is my favourite writer?", 18),
    ("Чего я боюсь?", 19),
    ("Какой язык я учу?", 20),
    ("Am I allergic to anything with cats?", 21),
    ("Когда мой сын играет в футбол?", 22),
    ("Where was I born?", 23),
)

#: questions whose answer was never stored (the right reply is "I don't know")
UNRELATED: tuple[str, ...] = (
    "What is the capital of France?",
    "Сколько будет два плюс два?",
    "Tell me a joke",
    "Какая сегодня погода?",
    "How do airplanes fly?",
    "What's my mother's name?",
    "Как зовут мою бабушку?",
    "What is my favourite colour?",
    "Which school did I go to?",
    "Расскажи про квантовую физику",
    "Set a timer for ten minutes",
    "Какой у меня размер обуви?",
    "What is my blood type?",
    "Сколько мне лет?",
    "Do I have a passport?",
    "Какую музыку я слушаю?",
)


@dataclass(frozen=True)
class ProbeResult:
    """Recall@k without the gate, the share of answerable questions whose fact passes it, and abstention."""

    n_questions: int
    n_unrelated: int
    recall_at_k: float
    mrr: float
    gated_recall_at_k: float
    abstention: float
    k: int

    def as_json(self) -> dict[str, float | int]:
        """The figures, for --json."""
        return dict(self.__dict__)


def run_probe(embedder: EmbeddingModel, gate: Gate | None = None, k: int = 5) -> ProbeResult:
    """Store FACTS in a throw-away store and ask QUESTIONS and UNRELATED through the recaller."""
    with tempfile.TemporaryDirectory(prefix="sova-memory-probe-") as tmp:
        store = MemoryStore(Path(tmp) / "memory.sqlite3")
        try:
            rows = embedder.embed([t for _, t in FACTS], query=False)
            ids = [
                store.add(NewMemory("fact", text, lang, text), row, embedder.model_id).id
                for (lang, text), row in zip(FACTS, rows, strict=True)
            ]
            recaller = Recaller(store, embedder, gate=gate)
            found = gated = 0
            reciprocal = 0.0
            for question, index in QUESTIONS:
                ranked = [h.item.id for h in recaller.search(question, k, gated=False)]
                if ids[index] in ranked:
                    found += 1
                    reciprocal += 1.0 / (ranked.index(ids[index]) + 1)
                if ids[index] in [h.item.id for h in recaller.search(question, k)]:
                    gated += 1
            abstained = sum(1 for q in UNRELATED if not recaller.search(q, k))
        finally:
            store.close()
    n = len(QUESTIONS)
    return ProbeResult(n, len(UNRELATED), found / n, reciprocal / n, gated / n, abstained / len(UNRELATED), k)
