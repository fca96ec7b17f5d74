"""A multi-step dialog declared once: its states, its typed data, its timeout.

The shape of python-telegram-bot's ConversationHandler: a dialog has named states; a step
handler runs when the sender is in that state, gets the dialog's data as a dataclass, and
*returns* the next state with its reply (:func:`stay`, :func:`goto`, :func:`end`). The
entry is an ordinary command handler that calls :meth:`DialogSpec.enter`. Fallbacks are
the routes marked ``always`` (取消, 帮助), which beat any dialog state (bot.routing).

The dispatcher stores the position as one row per openid (state ``"<dialog>.<state>"``,
the data as JSON, an expiry); it survives a restart.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from bot.context import Ctx, Incoming
from bot.replies import Reply
from bot.routing import Router, RouteTable

log = logging.getLogger(__name__)

DIALOG_TTL = timedelta(minutes=30)  # silence after which a dialog is dropped unsaved
# Commands that work in any state of any dialog (routes marked ``always``): leave, or ask.
FALLBACKS = ("cancel", "help")

D = TypeVar("D")


@dataclass(frozen=True)
class Step:
    """What a step handler returns: the reply, and where the dialog goes next."""

    reply: Reply
    next: str | None  # a state of the same dialog; None ends the dialog
    stay: bool = False  # keep the current state (an answer that was not understood)


def goto(state: str, reply: Reply) -> Step:
    return Step(reply, state)


def stay(reply: Reply) -> Step:
    return Step(reply, None, stay=True)


def end(reply: Reply) -> Step:
    return Step(reply, None)


StepHandler = Callable[[Incoming, Ctx, D], Awaitable[Step]]


class DialogSpec(Generic[D]):
    """One dialog: ``LOG = DialogSpec(router, "weekly_logs", LogDraft, states=(...))``."""

    def __init__(self, router: Router, name: str, data: type[D], *, states: tuple[str, ...],
                 entry: tuple[str, ...], fallbacks: tuple[str, ...] = FALLBACKS,
                 timeout: timedelta = DIALOG_TTL) -> None:
        if not dataclasses.is_dataclass(data):
            raise TypeError(f"dialog {name!r}: its data must be a dataclass")
        self.router = router
        self.name = name
        self.data_type = data
        self.states = states
        self.entry = entry  # the commands (by key) that start it
        self.fallbacks = fallbacks  # the commands that work in any of its states
        self.timeout = timeout
        self._declared: set[str] = set()

    def state(self, state: str) -> str:
        """The stored name of `state` ("weekly_logs.hours")."""
        if state not in self.states:
            raise ValueError(f"dialog {self.name!r} has no state {state!r}")
        return f"{self.name}.{state}"

    def enter(self, ctx: Ctx, state: str, data: D) -> None:
        """Start the dialog (or move it) at `state` with `data`."""
        ctx.dialog.go(self.state(state), dataclasses.asdict(data),  # type: ignore[call-overload]
                      ttl=self.timeout)

    def follow(self, ctx: Ctx, step: Step, data: D) -> Reply:
        """An entry command ran a step itself (周报 with its content, 打卡 with everything
        known): go where the step leads — into the dialog, or nowhere."""
        if step.next is not None:
            self.enter(ctx, step.next, data)
        elif not step.stay and ctx.dialog.active:
            ctx.dialog.end()
        return step.reply

    def load(self, stored: dict[str, Any]) -> D | None:
        """The stored data as the dataclass; None if it no longer fits (an old release)."""
        try:
            return self.data_type(**stored)
        except TypeError:
            return None

    def step(self, state: str) -> Callable[[StepHandler[D]], StepHandler[D]]:
        """Declare the handler of `state`; it runs for any message while the sender is there."""
        stored_name = self.state(state)
        if stored_name in self._declared:
            raise ValueError(f"state {stored_name!r} declared twice")
        self._declared.add(stored_name)

        def register(handler: StepHandler[D]) -> StepHandler[D]:
            async def run(msg: Incoming, ctx: Ctx) -> Reply:
                data = self.load(ctx.dialog.data)
                if data is None:
                    log.warning("dialog %s: stored data no longer fits; ending it", stored_name)
                    ctx.dialog.end()
                    return ctx.reply("common.dialog_lost")
                step = await handler(msg, ctx, data)
                if step.stay:
                    return step.reply
                if step.next is None:
                    ctx.dialog.end()
                else:
                    self.enter(ctx, step.next, data)
                return step.reply

            run.__name__ = handler.__name__
            self.router.dialog(stored_name)(run)
            return handler

        return register

    def check_complete(self, routes: RouteTable) -> None:
        """Every state has a step, the entry commands exist, and the fallbacks beat any
        dialog state (called by a test for every dialog)."""
        missing = [s for s in self.states if f"{self.name}.{s}" not in self._declared]
        if missing:
            raise AssertionError(f"dialog {self.name!r}: no step for {missing}")
        keys = {r.command.key: r for r in routes.routes if r.command is not None}
        for key in self.entry:
            if key not in keys:
                raise AssertionError(f"dialog {self.name!r}: no entry command {key!r}")
        for key in self.fallbacks:
            if key not in keys or not keys[key].always:
                raise AssertionError(f"dialog {self.name!r}: fallback {key!r} does not "
                                     "beat a dialog state")


ALL_DIALOGS: list[DialogSpec[Any]] = []


def dialog(router: Router, name: str, data: type[D], *, states: tuple[str, ...],
           entry: tuple[str, ...], fallbacks: tuple[str, ...] = FALLBACKS,
           timeout: timedelta = DIALOG_TTL) -> DialogSpec[D]:
    """Declare a dialog (and list it, so a test can check each one is complete)."""
    spec = DialogSpec(router, name, data, states=states, entry=entry, fallbacks=fallbacks,
                      timeout=timeout)
    ALL_DIALOGS.append(spec)
    return spec
