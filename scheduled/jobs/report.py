"""What a job run did: queued messages (the delivery worker sends them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from locales import Words, formats


@dataclass(frozen=True)
class Note:
    """Something the operator should know about a run, as a catalog key and its facts:
    the operator tools word it in the union's language (``job.note.unbound``, n=3, and the
    members named as People)."""

    key: str
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class People:
    """Members a note names, as a fact of it: the first few, (name, employee number) each,
    and how many there are in all. The operator tools word the list."""

    shown: tuple[tuple[str, str], ...]
    total: int


@dataclass
class JobReport:
    name: str
    period: str
    queued: int = 0
    skipped: int = 0  # queued by an earlier run of the same period: not queued again
    notes: list[Note] = field(default_factory=list)
    run_id: int | None = None  # its job_run row, once recorded


def note_words(words: Words, note: Note) -> str:
    """A job's note in the reader's words; the members it names read
    「王建国（W1001）、李强（W1002）……等 12 人」."""
    facts = {key: people_words(words, value) if isinstance(value, People) else value
             for key, value in note.facts.items()}
    return words(note.key, **facts)


def people_words(words: Words, people: People) -> str:
    named = formats.join(words, [words("ops.people.member", name=name, employee_no=number)
                                 for name, number in people.shown])
    if people.total > len(people.shown):
        named += words("ops.people.more", n=people.total)
    return named
