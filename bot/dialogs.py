"""A multi-step dialog declared once: its states, its typed data, its timeout.

The shape of python-telegram-bot's ConversationHandler: a dialog has named states; a step
handler runs when the sender is in that state, gets the dialog's data as a dataclass, and
*returns* the next state with its reply (:func:`stay`, :func:`goto`, :func:`end`). The
entry is an ordinary command handler that calls :meth:`DialogSpec.enter`. Fallbacks are
the routes marked ``always`` (取消, 帮助), which beat any dialog state (bot.routing).

The dispatcher stores the position as one row per openid (state ``"<dialog>.<state>"``,
the data as JSON, an expiry); it survives a restart.

What a step does not expect is handled here, once for every dialog, by the kind of answer
the step takes:

- a ``CHOICE`` step (the default: a number, 确认, hours) treats the catalogs' "no" words
  (``input.no``: 算了, 不用了 …) as leaving the dialog; a message it does not understand
  that is a command the sender may use (打卡 … at the 1/2/3 prompt) runs as that command,
  and the dialog waits on — unless the command starts a dialog of its own, which then
  replaces it, and the reply says so;
- a ``TEXT`` step (the content of a log or a check-in) takes any text, except a message
  that is exactly a command word or a "no" word: it asks first whether to leave the dialog
  (and run the command), and the next answer decides.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, Literal, TypeVar

from bot.context import Ctx, Dialog, Incoming
from bot.replies import MAX_TEXT_BYTES, Reply, Text, clip_text
from bot.routing import Command, Folded, Router, RouteTable, normalise
from locales import DEFAULT_LANGUAGE, text_of, vocabulary

log = logging.getLogger(__name__)

DIALOG_TTL = timedelta(minutes=30)  # silence after which a dialog is dropped unsaved
# Commands that work in any state of any dialog (routes marked ``always``): leave, or ask.
FALLBACKS = ("cancel", "help")

# The kinds of answer a step takes (see the module's docstring).
StepKind = Literal["choice", "text"]
CHOICE: StepKind = "choice"
TEXT: StepKind = "text"
# Stored beside a text step's data while the sender is asked whether to leave: the command
# they typed, or "" for a plain "no".
_ASKED = "_leave_for"
# Words that answer the dialog machinery's own questions (the catalogs' input.* lists).
_YES = "input.yes"
_NO = "input.no"
# Characters of a typed command repeated in a question.
_ECHO_LIMIT = 20

D = TypeVar("D")


@functools.cache
def _folded_words(key: str) -> frozenset[str]:
    return frozenset(normalise(w).strip() for w in vocabulary(key))


def _says(text: str, key: str) -> bool:
    """Whether `text`, as a whole, is one of the words of the vocabulary `key`."""
    return normalise(text).strip() in _folded_words(key)


def _joined(first: Reply, second: Reply) -> Reply:
    """Two replies as one text, within one reply's bytes (the first gives way)."""
    if not isinstance(second, Text):
        return first
    if not isinstance(first, Text):
        return second
    room = MAX_TEXT_BYTES - len(second.content.encode("utf-8")) - 1
    return Text(clip_text(first.content, room) + "\n" + second.content)


@dataclass(frozen=True)
class Step:
    """What a step handler returns: the reply, and where the dialog goes next."""

    reply: Reply
    next: str | None  # a state of the same dialog; None ends the dialog
    stay: bool = False  # keep the current state (an answer that was not understood)
    # The step settled the dialog itself (handed the message on, see DialogSpec.hand_over):
    # leave it as the step left it.
    settled: bool = False


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
                 timeout: timedelta = DIALOG_TTL, activity: str | None = None,
                 declined: str = "common.cancelled") -> None:
        if not dataclasses.is_dataclass(data):
            raise TypeError(f"dialog {name!r}: its data must be a dataclass")
        self.router = router
        self.name = name
        self.data_type = data
        self.states = states
        self.entry = entry  # the commands (by key) that start it
        self.fallbacks = fallbacks  # the commands that work in any of its states
        self.timeout = timeout
        # Catalog keys: what the sender is doing, as a question names it (周报填写), and the
        # reply when a "no" word ends the dialog.
        self.activity = activity or f"{name}.activity"
        self.declined = declined
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
        if step.settled:
            return step.reply
        if step.next is not None:
            self.enter(ctx, step.next, data)
        elif not step.stay and ctx.dialog.active:
            ctx.dialog.end()
        return step.reply

    async def hand_over(self, msg: Incoming, ctx: Ctx, text: str | None = None) -> Step:
        """Leave the dialog and handle `msg` (saying `text`, if given) as a fresh message;
        a dialog its handler starts is kept."""
        ctx.dialog.end()
        return Step(await ctx.handle_afresh(msg, text), None, settled=True)

    def load(self, stored: dict[str, Any]) -> D | None:
        """The stored data as the dataclass; None if it no longer fits (an old release)."""
        try:
            return self.data_type(**stored)
        except TypeError:
            return None

    def step(self, state: str, *, kind: StepKind = CHOICE
             ) -> Callable[[StepHandler[D]], StepHandler[D]]:
        """Declare the handler of `state`; it runs for any message while the sender is there.
        `kind` says what answer it takes (CHOICE or TEXT, see the module's docstring)."""
        stored_name = self.state(state)
        if stored_name in self._declared:
            raise ValueError(f"state {stored_name!r} declared twice")
        self._declared.add(stored_name)

        def register(handler: StepHandler[D]) -> StepHandler[D]:
            async def run(msg: Incoming, ctx: Ctx) -> Reply:
                stored = dict(ctx.dialog.data)
                asked = stored.pop(_ASKED, None)
                data = self.load(stored)
                if data is None:
                    log.warning("dialog %s: stored data no longer fits; ending it", stored_name)
                    ctx.dialog.end()
                    return ctx.reply("common.dialog_lost")
                text = msg.text.strip() if msg.text is not None else None
                if text is not None:
                    early = (await self._on_text(msg, ctx, stored_name, stored, text, asked)
                             if kind == TEXT else self._on_choice(ctx, text))
                    if early is not None:
                        return early
                step = await handler(msg, ctx, data)
                if step.settled:
                    return step.reply
                if step.stay:
                    command = self._command_in(ctx, text, whole=False) \
                        if kind == CHOICE and text else None
                    # Not one that starts this very dialog: the step's own answer says more
                    # than starting again would.
                    if command is not None and command.key not in self.entry:
                        return await self._side_trip(msg, ctx)
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

    # -- what a step does not expect -----------------------------------------------------

    @staticmethod
    def _command_in(ctx: Ctx, text: str, *, whole: bool) -> Command | None:
        """The command the sender may use that `text` would run (`whole`: only if the text is
        nothing but its word)."""
        folded = Folded.of(text)
        for command in ctx.commands:
            args = command.match(text, folded)
            if args is not None and not (whole and args):
                return command
        return None

    def _on_choice(self, ctx: Ctx, text: str) -> Reply | None:
        """A "no" word at a step that expects an answer: the dialog ends, nothing saved."""
        if not _says(text, _NO):
            return None
        ctx.dialog.end()
        return ctx.reply(self.declined)

    async def _on_text(self, msg: Incoming, ctx: Ctx, stored_name: str, stored: dict[str, Any],
                       text: str, asked: str | None) -> Reply | None:
        """At a step that takes free text: a message that is exactly a command word or a "no"
        word is not taken as text before the sender says whether they meant to leave."""
        if asked is not None:
            if _says(text, _YES):
                if not asked:
                    ctx.dialog.end()
                    return ctx.reply(self.declined)
                return (await self.hand_over(msg, ctx, asked)).reply
            # The question lapses: whatever else comes is an answer to the step again.
            ctx.dialog.go(stored_name, stored, ttl=self.timeout)
            if _says(text, _NO):
                return ctx.reply("common.dialog_resume")
        activity = ctx.t(self.activity)
        if _says(text, _NO):
            ctx.dialog.go(stored_name, {**stored, _ASKED: ""}, ttl=self.timeout)
            return ctx.reply("common.ask_leave", activity=activity)
        if self._command_in(ctx, text, whole=True) is not None:
            ctx.dialog.go(stored_name, {**stored, _ASKED: text}, ttl=self.timeout)
            return ctx.reply("common.ask_leave_for", activity=activity,
                             command=text[:_ECHO_LIMIT])
        return None

    async def _side_trip(self, msg: Incoming, ctx: Ctx) -> Reply:
        """Run a command typed at a step that did not understand it, outside the dialog; the
        dialog waits on, unless the command started one of its own."""
        kept = ctx.dialog
        ctx.dialog = Dialog()
        try:
            reply = await ctx.handle_afresh(msg)
        finally:
            trip, ctx.dialog = ctx.dialog, kept
        activity = ctx.t(self.activity)
        if trip.state is not None:
            kept.go(trip.state, trip.data, ttl=trip.ttl)
            return _joined(ctx.reply("common.dialog_replaced", activity=activity), reply)
        return _joined(reply, ctx.reply("common.dialog_waiting", activity=activity))

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
        try:
            text_of(DEFAULT_LANGUAGE, self.activity)
            text_of(DEFAULT_LANGUAGE, self.declined)
        except KeyError as absent:
            raise AssertionError(f"dialog {self.name!r}: {absent}") from None


ALL_DIALOGS: list[DialogSpec[Any]] = []


def dialog(router: Router, name: str, data: type[D], *, states: tuple[str, ...],
           entry: tuple[str, ...], fallbacks: tuple[str, ...] = FALLBACKS,
           timeout: timedelta = DIALOG_TTL, activity: str | None = None,
           declined: str = "common.cancelled") -> DialogSpec[D]:
    """Declare a dialog (and list it, so a test can check each one is complete)."""
    spec = DialogSpec(router, name, data, states=states, entry=entry, fallbacks=fallbacks,
                      timeout=timeout, activity=activity, declined=declined)
    ALL_DIALOGS.append(spec)
    return spec
