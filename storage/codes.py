"""Enumerations stored as codes that light modules need without the ORM (the CLI's parser)."""

from __future__ import annotations

# An outbox row's life: pending → in_flight → sent | undeliverable | failed; or dropped
# (stale, or an operator's choice). scheduled/delivery.py moves rows between them.
OUTBOX_STATES = ("pending", "in_flight", "sent", "failed", "undeliverable", "dropped")

# Why a row ended as it did: what `outbox_message.result` holds, optionally followed by
# WeChat's errcode after a colon (``rejected:43004``). scheduled/delivery.py writes them;
# the catalogs word them (``outbox.reason.<code>``).
SENT = "ok"
NOT_BOUND = "not_bound"  # the recipient never bound WeChat
UNSUBSCRIBED = "unsubscribed"  # unfollowed the account
INACTIVE = "inactive"  # the member was deactivated: nobody expects anything of them now
NO_TEMPLATE = "no_template"  # outside the 48-hour window and no template configured
TEMPLATE_FAILED = "template_failed"  # the template call was refused
REJECTED = "rejected"  # WeChat refused for good (unfollowed, bad openid …)
BUSY = "busy"  # WeChat busy: tried again later
QUOTA = "quota"  # the day's API quota is spent: the run stops
ERROR = "error"  # anything else: tried again later
STALE = "stale"  # the reason for the push is gone (see storage.queries.outbox.stale_outbox_ids)
DROPPED = "dropped_by_operator"
REASONS = (SENT, NOT_BOUND, UNSUBSCRIBED, INACTIVE, NO_TEMPLATE, TEMPLATE_FAILED, REJECTED, BUSY,
           QUOTA, ERROR, STALE, DROPPED)
