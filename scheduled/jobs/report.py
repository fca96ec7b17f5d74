"""What a job run did: queued messages (the delivery worker sends them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class JobReport:
    name: str
    period: str
    queued: int = 0
    skipped: int = 0  # queued by an earlier run of the same period: not queued again
    notes: list[str] = field(default_factory=list)
