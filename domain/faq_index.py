"""Finding the FAQ entry a question asks for: Chinese word segmentation (jieba, with the
domain's words and each entry's keywords kept whole) and BM25 ranking (bm25s).

Every text is folded the way commands are (full width, case, Traditional → Simplified:
locales.folding.normalise), punctuation becomes a space, and each synonym group becomes its
first word, before it is cut into words — the entries when the index is built, and each
question. Two indexes: one document per wording (the question and each variant: an entry
scores as its best wording), and one per answer, whose score counts `answer_weight` as
much. BM25 draws up a shortlist; the *confidence* of an entry is the share of the
question's words (weighted by their rarity, IDF) that it contains — a word found only in
its answer counts half — so a question about something the FAQ never mentions (食堂, 天气)
is declined however the ranking falls. Within the shortlist the more confident entry
goes first. A question is *anchored* when it names one of the domain's words
(周报, 工作室, 师徒 …: input.faq.terms): such a question is about us even when its wording
is new, so a weaker match is still offered as a choice rather than declined.

The chat, the console and the command line ask the same index; what the ranked hits come
to — an answer, a choice or a miss — is :func:`verdict_for`'s, by the thresholds of the
settings.

jieba's dictionary takes about 0.6 s to load: it loads lazily, once per process, when the
first FAQ question arrives (in a worker thread, with the index build), never at import or
start-up, so `serve` is ready as fast as before.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from locales import vocabulary
from locales.folding import normalise

TERMS = "input.faq.terms"  # the domain's words, never split (劳模, 创新工作室, 五小 …)
STOPWORDS = "input.faq.stopwords"  # words that say nothing about the subject (请问, 怎么 …)
_NOT_WORD = re.compile(r"[\W_]+")
_ANSWER_HIT = 0.5  # a question word found only in the answer counts this much
# A word the entry does not hold counts this much for each of its characters that one of
# the entry's wordings has (a typo, a word cut another way: 评上星 and 星级).
_CHARACTER_HIT = 0.4
UNKNOWN_WEIGHT = 0.8  # a word no entry holds weighs this share of the rarest word's weight
SHORTLIST_EXTRA = 2
# A word of one character (交, 补, 看, 钱) says little about the subject: 社保怎么交 and
# 周报怎么交 share only 交. It counts this share of its weight towards the confidence.
_ONE_CHARACTER = 0.5  # entries BM25 ranks beyond the k asked for, that coverage may promote

_jieba_lock = threading.Lock()
_tokenizer: Any = None
_added: set[str] = set()


def _jieba() -> Any:
    """The process's one segmenter, its dictionary loaded once, with the domain's words."""
    global _tokenizer
    with _jieba_lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(60)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in vocabulary(TERMS):
                tokenizer.add_word(word, freq=100_000)
                _added.add(word)
            _tokenizer = tokenizer
        return _tokenizer


def _add_words(words: Iterable[str]) -> None:
    """Words the segmenter keeps whole from now on (the domain's, keywords, synonyms)."""
    tokenizer = _jieba()
    with _jieba_lock:
        for word in words:
            if word and word not in _added:
                tokenizer.add_word(word, freq=100_000)
                _added.add(word)


def fold(text: str) -> str:
    """The form matched: folded like a command, punctuation a space."""
    folded = unicodedata.normalize("NFKC", normalise(text))
    return _NOT_WORD.sub(" ", folded).strip()


@dataclass(frozen=True)
class Entry:
    id: int
    question: str
    variants: tuple[str, ...] = ()
    answer: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    confidence: float


@dataclass
class Index:
    """The entries of one knowledge base, ready to be asked."""

    entries: list[Entry]
    answer_weight: float = 0.3
    _synonyms: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    _stop: frozenset[str] = frozenset()
    _wordings: Any = None  # bm25s over the wordings
    _answers: Any = None  # bm25s over the answers
    _owner: list[int] = field(default_factory=list)  # wording document → entry position
    _words: list[frozenset[str]] = field(default_factory=list)  # per entry: its wordings' words
    _chars: list[frozenset[str]] = field(default_factory=list)  # per entry: their characters
    _answer_words: list[frozenset[str]] = field(default_factory=list)
    _idf: dict[str, float] = field(default_factory=dict)
    _unknown_idf: float = 1.0
    _anchors: frozenset[str] = frozenset()  # the domain's words, folded and unified

    @classmethod
    def build(cls, entries: Sequence[Entry], synonyms: Sequence[Sequence[str]] = (),
              *, answer_weight: float = 0.3) -> Index:
        index = cls(list(entries), answer_weight)
        index._stop = frozenset(fold(w) for w in vocabulary(STOPWORDS))
        index._set_synonyms(synonyms)
        _add_words({fold(k) for e in entries for k in e.keywords}
                   | {fold(w) for group in synonyms for w in group})
        wording_docs: list[list[str]] = []
        answer_docs: list[list[str]] = []
        for position, e in enumerate(index.entries):
            words: set[str] = set()
            for wording in (e.question, *e.variants):
                tokens = index.tokens(wording)
                wording_docs.append(tokens)
                index._owner.append(position)
                words.update(tokens)
            words.update(index.tokens(" ".join(e.keywords)))
            index._words.append(frozenset(words))
            index._chars.append(frozenset("".join(words)))
            answer_tokens = index.tokens(e.answer)
            answer_docs.append(answer_tokens)
            index._answer_words.append(frozenset(answer_tokens))
        if index.entries:
            import bm25s

            index._wordings = bm25s.BM25()
            index._wordings.index(wording_docs, show_progress=False)
            index._answers = bm25s.BM25()
            index._answers.index(answer_docs, show_progress=False)
        df: dict[str, int] = {}
        for words_of_entry, answer_words in zip(index._words, index._answer_words, strict=True):
            for word in words_of_entry | answer_words:
                df[word] = df.get(word, 0) + 1
        n = len(index.entries)
        index._idf = {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}
        index._unknown_idf = UNKNOWN_WEIGHT * math.log(1 + (n + 0.5) / 0.5)
        # Only the curated words of the domain: entries' keywords include command words
        # (我的, 确认, 申报) that questions about pay or housing use as well.
        index._anchors = frozenset(index.unified(term) for term in vocabulary(TERMS))
        return index

    def _set_synonyms(self, synonyms: Sequence[Sequence[str]]) -> None:
        for group in synonyms:
            folded = [fold(w) for w in group if fold(w)]
            if len(folded) < 2:
                continue
            head, others = folded[0], sorted(set(folded[1:]) - {folded[0]}, key=len,
                                             reverse=True)
            if others:
                self._synonyms.append(
                    (re.compile("|".join(re.escape(o) for o in others)), head))

    def unified(self, text: str) -> str:
        """`text` folded, each synonym written as its group's first word."""
        folded = fold(text)
        for pattern, head in self._synonyms:
            folded = pattern.sub(head, folded)
        return folded

    def tokens(self, text: str) -> list[str]:
        """The words of `text` that count: folded, synonyms unified, stop words left out."""
        return [w for w in _jieba().lcut_for_search(self.unified(text))
                if w.strip() and w not in self._stop]

    def anchored(self, question: str) -> bool:
        """Whether the question names a word of the domain (input.faq.terms)."""
        return any(w in self._anchors for w in self.tokens(question))

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The `k` best entries for `question`, best first (nothing scoring zero)."""
        if not self.entries:
            return []
        query = list(dict.fromkeys(self.tokens(question)))
        if not query:
            return []
        scores = [0.0] * len(self.entries)
        for doc, score in enumerate(self._wordings.get_scores(query)):
            owner = self._owner[doc]
            if score > scores[owner]:
                scores[owner] = float(score)
        if self.answer_weight:
            for position, score in enumerate(self._answers.get_scores(query)):
                scores[position] += self.answer_weight * float(score)
        # BM25 draws up a shortlist; within it, the entry holding more of the question goes first.
        ranked = sorted((i for i, s in enumerate(scores) if s > 0),
                        key=lambda i: -scores[i])[:k + SHORTLIST_EXTRA]
        weights = {w: self._idf.get(w, self._unknown_idf) * (_ONE_CHARACTER if len(w) == 1 else 1)
                   for w in query}
        total = sum(weights.values()) or 1.0
        hits = []
        for position in ranked:
            words, answer_words = self._words[position], self._answer_words[position]
            chars = self._chars[position]
            found = sum(weight if w in words else _ANSWER_HIT * weight if w in answer_words
                        else _CHARACTER_HIT * weight * sum(c in chars for c in w) / len(w)
                        for w, weight in weights.items())
            hits.append(Hit(self.entries[position], scores[position], found / total))
        hits.sort(key=lambda h: (-round(h.confidence, 3), -h.score))
        return hits[:k]


class Thresholds(Protocol):
    """The FAQ's settings (bot.config.Settings has them; the bench passes its own)."""

    workshop_bot_faq_confident: float
    workshop_bot_faq_close: float
    workshop_bot_faq_anchored_close: float
    workshop_bot_faq_margin: float


# What the ranked hits come to: the entry's answer, a numbered choice, or nothing good.
ANSWER = "answer"
CHOOSE = "choose"
MISS = "miss"


def classify(hits: list[Hit], *, confident: float, close: float, margin: float,
             anchored: bool = False, anchored_close: float | None = None) -> str:
    """ANSWER, CHOOSE or MISS for the ranked hits (thresholds: Settings). An anchored
    question (one naming the domain's words) is offered a choice from `anchored_close` on."""
    floor = offer_floor(close, anchored, anchored_close)
    if not hits or hits[0].confidence < floor:
        return MISS
    top = hits[0]
    runner_up = hits[1] if len(hits) > 1 else None
    clear = runner_up is None or runner_up.score <= top.score * (1 - margin) \
        or runner_up.confidence < close
    return ANSWER if top.confidence >= confident and clear else CHOOSE


def offer_floor(close: float, anchored: bool, anchored_close: float | None) -> float:
    """The least confidence an entry needs to be offered as a choice."""
    return min(close, anchored_close) if anchored and anchored_close is not None else close


def verdict_for(index: Index, question: str, hits: list[Hit],
                s: Thresholds) -> tuple[str, float]:
    """What the settings make of `hits`: the verdict and the floor for offered choices."""
    anchored = index.anchored(question)
    verdict = classify(hits, confident=s.workshop_bot_faq_confident,
                       close=s.workshop_bot_faq_close, margin=s.workshop_bot_faq_margin,
                       anchored=anchored, anchored_close=s.workshop_bot_faq_anchored_close)
    return verdict, offer_floor(s.workshop_bot_faq_close, anchored,
                                s.workshop_bot_faq_anchored_close)
