"""周报, 上周周报 (with the content → hours → confirm dialog) and 本周 for leaders.

The rules (the length cap, last week's deadline, create / replace / append, the late mark
and the hours a week may have) are domain.weekly_logs; this module reads the answers and
words the outcome. Hours are read by handlers.durations: the answer to the hours
question, and in a one-shot 周报 the total its text gives (…共8小时) or a duration closing
it; hours written there that cannot be taken (a range, zero, …) are asked for, and the
log then goes through the dialog's preview and 确认.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from bot.context import Ctx, Incoming
from bot.dialogs import TEXT, Step, dialog, end, goto, stay
from bot.replies import Reply, Text
from bot.routing import Router
from domain import HoursOutOfRange, TooLong
from domain.weekly_logs import (
    ACTIONS,
    LAST_WEEK_DEADLINE,
    MAX_HOURS,
    Action,
    LastWeekClosed,
    PartTooLong,
    SavedLog,
    check_content,
    check_part,
    joined,
    last_week,
    log_for_week,
    save_first_log,
    save_log,
    this_week,
)
from handlers import durations
from handlers.durations import Doubt, doubt_words
from handlers.parsing import is_done, is_skip, is_yes, says
from handlers.records import show_member_log
from locales import Words
from locales.formats import hours, join, week_label
from storage.models import ROLE_LEADER, ROLE_MEMBER
from storage.queries.weekly_logs import Picture, submissions_for_week

router = Router("weekly_logs")

MISSING_SHOWN = 40  # names listed in 本周 before pointing to the export
PREVIEW_CHARS = 300  # characters of the draft shown for confirmation
# The answers to "you have a log for this week: replace, append or keep?" (catalog lists).
_REPLACE = "input.weekly_logs.replace"
_APPEND = "input.weekly_logs.append"
_KEEP = "input.weekly_logs.keep"
_CHOICES: tuple[tuple[Action, str], ...] = (("replace", _REPLACE), ("append", _APPEND))


@dataclass
class LogDraft:
    """A 周报 being written: the stored dialog data (the same fields as the dict it was)."""

    week: str
    late: bool = False
    parts: list[str] = field(default_factory=list)
    pictures: list[dict[str, str | None]] = field(default_factory=list)  # media_id, pic_url
    hours: float | None = None
    # "replace" or "append" when the week already had a log and the sender chose at the start
    # (周报 with no text): the draft is saved that way, without asking again.
    action: str | None = None

    @property
    def content(self) -> str:
        return joined(self.parts)

    def picture_rows(self) -> list[Picture]:
        return [Picture(p.get("media_id"), p.get("pic_url")) for p in self.pictures]


# Stored states weekly_logs.content, .hours, .confirm and .existing, as before the declaration.
LOG = dialog(router, "weekly_logs", LogDraft, states=("content", "hours", "confirm", "existing"),
             entry=("log", "lastweek"))


def submitted_at(words: Words, at: datetime) -> str:
    """A moment (already in the reader's time zone) as the reader says it: 「11月20日 16:00」."""
    return words("me.submitted_at", month=at.month, day=at.day, hour=at.hour, minute=at.minute,
                 month_name=words(f"format.month.{at.month}"))


def _local(ctx: Ctx) -> datetime:
    return ctx.now.astimezone(ctx.settings.tz)


def _pictures_part(words: Words, count: int) -> str:
    return words("weekly_logs.pictures_part", count=count) if count else ""


def _too_long(ctx: Ctx, error: TooLong) -> Text:
    """The refusal says the limit and the way that works: shorter, or the rest appended."""
    key = "weekly_logs.too_long_part" if isinstance(error, PartTooLong) else "weekly_logs.too_long"
    return ctx.reply(key, **error.facts)


async def _save(ctx: Ctx, draft: LogDraft, action: Action) -> Reply:
    """Save the draft as `action` says (create, replace or append)."""
    assert ctx.member is not None
    try:
        log = await save_log(ctx.session, member=ctx.member, week=draft.week,
                             content=draft.content, hours=draft.hours, late=draft.late,
                             action=action, now=ctx.now, pictures=draft.picture_rows())
    except (TooLong, HoursOutOfRange) as error:
        return _refused(ctx, error)
    return _saved(ctx, log, late=draft.late)


async def _save_first(ctx: Ctx, draft: LogDraft) -> Reply | None:
    """Save the draft as the week's first log; None when the week has one (nothing saved)."""
    assert ctx.member is not None
    try:
        log = await save_first_log(
            ctx.session, member=ctx.member, week=draft.week, content=draft.content,
            hours=draft.hours, late=draft.late, now=ctx.now, pictures=draft.picture_rows())
    except (TooLong, HoursOutOfRange) as error:
        return _refused(ctx, error)
    return None if log is None else _saved(ctx, log, late=draft.late)


def _refused(ctx: Ctx, error: TooLong | HoursOutOfRange) -> Reply:
    if isinstance(error, TooLong):
        return _too_long(ctx, error)
    # Only appending can get here: the hours would add up to more than a week holds.
    total = error.facts["hours"]
    assert isinstance(total, float)
    return ctx.reply("format.hours_refused.out_of_range", hours=hours(ctx.words, total),
                     max=f"{MAX_HOURS:g}")


def _saved(ctx: Ctx, log: SavedLog, *, late: bool) -> Text:
    words = ctx.words
    said = hours(words, log.hours)
    if log.hours_kept:
        said = words("weekly_logs.hours_kept", hours=said)
    return ctx.reply(f"weekly_logs.saved.{log.action}", week=week_label(words, log.week),
                     chars=log.chars, hours=said, pictures=_pictures_part(words, log.pictures),
                     late=words("weekly_logs.late_note") if late else "")


def _chosen(draft: LogDraft) -> Action | None:
    """The action the sender chose before writing, if any."""
    return next((a for a in ACTIONS if a == draft.action), None)


async def _ask_existing(ctx: Ctx, draft: LogDraft, key: str) -> Step | None:
    """If the week has a log: ask (in the words of `key`) whether to replace, append or keep
    it. None when it has none."""
    assert ctx.member is not None
    existing = await log_for_week(ctx.session, ctx.member.id, draft.week)
    if existing is None:
        return None
    when = submitted_at(ctx.words, existing.submitted_at.astimezone(ctx.settings.tz))
    return goto("existing", ctx.reply(key, week=week_label(ctx.words, draft.week),
                                      chars=len(existing.content), when=when))


async def _submit(ctx: Ctx, draft: LogDraft) -> Step:
    """Save a finished draft, unless the week has a log: then ask what to do with it (or do
    what the sender chose at the start)."""
    chosen = _chosen(draft)
    if chosen is not None:
        return end(await _save(ctx, draft, chosen))
    # The week's first log, in one statement with the look for an earlier one; a second
    # log (rarer) is then asked about.
    first = await _save_first(ctx, draft)
    if first is not None:
        return end(first)
    asked = await _ask_existing(ctx, draft, "weekly_logs.ask_existing")
    return asked or end(await _save(ctx, draft, "create"))


async def _start(ctx: Ctx, week: str, late: bool) -> Reply:
    draft = LogDraft(week=week, late=late)
    content = ctx.args.strip()
    if not content:
        # A second log of the week: what to do with the first is asked before the writing.
        asked = await _ask_existing(ctx, draft, "weekly_logs.ask_existing_first")
        if asked is not None:
            return LOG.follow(ctx, asked, draft)
        LOG.enter(ctx, "content", draft)
        return ctx.reply("weekly_logs.ask_content", week=week_label(ctx.words, week))
    try:
        check_content(content)
    except TooLong as error:
        return _too_long(ctx, error)
    draft.parts.append(content)
    found = durations.in_log(content, MAX_HOURS)
    if isinstance(found, Doubt):
        # Hours were written but cannot be taken: ask for them, then show the draft for
        # 确认 as the dialog does, rather than save a figure the member did not mean.
        LOG.enter(ctx, "hours", draft)
        return ctx.reply("weekly_logs.ask_hours_again", reason=doubt_words(ctx.words, found))
    draft.hours = None if found is None else found.value
    # The one-shot form: a dialog only if the week already has a log (replace/append/keep).
    return LOG.follow(ctx, await _submit(ctx, draft), draft)


@router.command("周报", aliases=("log", "日志"), takes_args=True,
                roles=(ROLE_MEMBER, ROLE_LEADER), summary="cmd.log.summary", usage="cmd.log.usage",
                lean=True)
async def on_log(msg: Incoming, ctx: Ctx) -> Reply:
    if ctx.role == ROLE_LEADER:  # 周报 张伟 [上周]: a leader reads a member's log
        shown = await show_member_log(ctx)
        if shown is not None:
            return shown
    return await _start(ctx, this_week(_local(ctx)), late=False)


@router.command("上周周报", aliases=("lastweek",), takes_args=True,
                roles=(ROLE_MEMBER, ROLE_LEADER), summary="cmd.lastweek.summary",
                usage="cmd.lastweek.usage",
                facts={"deadline": LAST_WEEK_DEADLINE.strftime("%H:%M")}, lean=True)
async def on_last_week(msg: Incoming, ctx: Ctx) -> Reply:
    try:
        week = last_week(_local(ctx))
    except LastWeekClosed as error:
        deadline = error.facts["deadline"]
        assert isinstance(deadline, time)
        return ctx.reply("weekly_logs.last_week_closed", deadline=f"{deadline:%H:%M}")
    return await _start(ctx, week, late=True)


@LOG.step("content", kind=TEXT)
async def on_content(msg: Incoming, ctx: Ctx, draft: LogDraft) -> Step:
    if msg.msg_type == "image":
        draft.pictures.append({"media_id": msg.media_id, "pic_url": msg.pic_url})
        return goto("content", ctx.reply("weekly_logs.picture_noted", pics=len(draft.pictures)))
    if msg.text is None:
        return stay(ctx.reply("weekly_logs.only_text_and_pictures"))
    text = msg.text.strip()
    if is_done(text):
        if not draft.parts:
            return stay(ctx.reply("weekly_logs.nothing_yet"))
        return goto("hours", ctx.reply("weekly_logs.ask_hours"))
    try:
        check_part(draft.parts, text)
    except TooLong as error:
        return stay(_too_long(ctx, error))
    draft.parts.append(text)
    return goto("content", ctx.reply("weekly_logs.noted", parts=len(draft.parts),
                                     chars=len(draft.content),
                                     pictures=_pictures_part(ctx.words, len(draft.pictures))))


@LOG.step("hours")
async def on_hours(msg: Incoming, ctx: Ctx, draft: LogDraft) -> Step:
    text = msg.text or ""
    if is_skip(text):
        draft.hours = None  # the log says 未填 (format.hours_none)
    else:
        answer = durations.answer(text, MAX_HOURS)
        if answer is None:
            return stay(ctx.reply("weekly_logs.bad_hours", max=f"{MAX_HOURS:g}"))
        if isinstance(answer, Doubt):
            return stay(Text(doubt_words(ctx.words, answer) + "\n"
                             + ctx.t("weekly_logs.bad_hours", max=f"{MAX_HOURS:g}")))
        draft.hours = answer.value
    content = draft.content
    preview = (content if len(content) <= PREVIEW_CHARS
               else ctx.t("weekly_logs.preview_cut", text=content[:PREVIEW_CHARS]))
    return goto("confirm", ctx.reply("weekly_logs.ask_confirm",
                                     week=week_label(ctx.words, draft.week), preview=preview,
                                     chars=len(content), hours=hours(ctx.words, draft.hours),
                                     pics=len(draft.pictures)))


@LOG.step("confirm")
async def on_confirm(msg: Incoming, ctx: Ctx, draft: LogDraft) -> Step:
    if not is_yes(msg.text or ""):
        return stay(ctx.reply("weekly_logs.not_confirmed"))
    return await _submit(ctx, draft)


@LOG.step("existing")
async def on_existing(msg: Incoming, ctx: Ctx, draft: LogDraft) -> Step:
    answer = msg.text or ""
    # Asked at the start (周报 with no text): the choice is remembered, the writing follows.
    before = not draft.parts and not draft.pictures
    for action, words in _CHOICES:
        if says(answer, words):
            if before:
                draft.action = action
                return goto("content", ctx.reply(f"weekly_logs.ask_content.{action}",
                                                 week=week_label(ctx.words, draft.week)))
            return end(await _save(ctx, draft, action))
    if says(answer, _KEEP):
        return end(ctx.reply("weekly_logs.kept_unchanged" if before else "weekly_logs.kept"))
    return stay(ctx.reply("weekly_logs.bad_existing"))


@router.command("本周", aliases=("week",), roles=(ROLE_LEADER,), summary="cmd.week.summary",
                usage="cmd.week.usage", writes=False)
async def on_week(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    if member.studio_id is None:
        return ctx.reply("weekly_logs.no_studio")
    week = this_week(_local(ctx))
    subs = await submissions_for_week(ctx.session, member.studio_id, week)
    lines = [ctx.t("weekly_logs.week_summary", studio=member.studio_name,
                   week=week_label(ctx.words, week), done=len(subs.submitted),
                   expected=subs.expected)]
    if not subs.missing:
        lines.append(ctx.t("weekly_logs.all_in"))
    else:
        shown = join(ctx.words, subs.missing[:MISSING_SHOWN])
        lines.append(ctx.t("weekly_logs.missing", n=len(subs.missing), names=shown))
        if len(subs.missing) > MISSING_SHOWN:
            lines.append(ctx.t("weekly_logs.more_missing", n=len(subs.missing)))
    return Text("\n".join(lines))
