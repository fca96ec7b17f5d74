"""Enumerations stored as codes that light modules need without the ORM (the CLI's parser)."""

from __future__ import annotations

# An outbox row's life: pending → in_flight → sent | undeliverable | failed; or dropped
# (stale, or an operator's choice). scheduled/delivery.py moves rows between them.
OUTBOX_STATES = ("pending", "in_flight", "sent", "failed", "undeliverable", "dropped")
