"""进展: a leader's progress updates on the studio's topics (课题 / 攻关项目).

The topic's kind and status are stored as codes (storage.models.TOPIC_KINDS,
TOPIC_STATUSES); people read them as topic.kind.* / topic.status.* and may type any word
the catalogs list for them (input.topics.*). The rules are domain.topics'.

A name that is no topic of the studio asks before creating one. When topics spelt alike
exist, a plain 是 does not create it (a leader answering the question with 是 most often
meant the topic they know): only 「新建 <名称>」 does, or a listed topic's number.
``进展 <课题> 改名 <新名>`` renames a topic; ``进展 <课题> 删除`` deletes it after a 是,
keeping its history. A topic shown alone lists its latest progress updates and, apart,
the status changes.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from datetime import date

from bot.context import Ctx, Incoming
from bot.dialogs import Step, dialog, end, stay
from bot.replies import Reply, Text, fit_lines
from bot.routing import Router, normalise
from domain import NotFound, WrongState
from domain.topics import (
    MAX_TITLE,
    TopicState,
    create_topic,
    delete_topic,
    record_progress,
    rename_topic,
    set_due_date,
    set_kind,
    set_owner,
    set_status,
    set_target,
)
from handlers.parsing import alternation, code_of, is_yes, says
from locales import vocabulary
from locales.formats import join, month_day, percent
from storage.models import (
    PROGRESS_STATUS,
    PROGRESS_UPDATE,
    ROLE_LEADER,
    TOPIC_KIND_DEFAULT,
    TOPIC_KINDS,
    TOPIC_STATUSES,
    Topic,
)
from storage.queries.topics import (
    TopicView,
    progress_count,
    topic_history,
    topic_overview,
    topics_of,
)

router = Router("topics")

MAX_CHARS = 1000
SNIPPET = 40  # characters of the latest update shown in the overview
HISTORY_SHOWN = 3  # progress updates, and status changes, shown with one topic
# Characters of the latest update shown with one topic (older ones: SNIPPET), so that the
# status changes below them still fit in the reply.
LATEST_SHOWN = 300
# The fields "进展 课题 <field word> <value>" sets instead of recording prose.
FIELDS = ("status", "kind", "owner", "due_date", "monthly_target", "quarterly_target")
_TARGETS = {"monthly_target": "monthly", "quarterly_target": "quarterly"}
# Year, month and day with anything but a digit between them: 2026-12-31, 2026/12/31,
# 2026年12月31日 (the words of no language needed).
_DATE = re.compile(r"^(\d{4})\s*[^\d\s]\s*(\d{1,2})\s*[^\d\s]\s*(\d{1,2})\s*[^\d\s]?$")
# What follows a topic's name instead of progress (catalog lists): 改名 <新名>, 删除; and
# the word that creates a topic when topics spelt alike were offered (新建 <名称>).
_RENAME = "input.topics.rename"
_DELETE = "input.topics.delete"
_CREATE = "input.topics.create"


@dataclass
class NewTopic:
    """进展 named no topic of the studio: the update waits while the leader says whether to
    create the topic (and of which kind) or which topic spelt alike was meant."""

    title: str
    content: str
    percent: int | None = None
    alike: list[list[int | str]] = field(default_factory=list)  # [[topic id, title], …]


CREATE = dialog(router, "topics", NewTopic, states=("create",), entry=("progress",))


@dataclass
class DoomedTopic:
    """A topic waiting for the leader's 是 to delete it."""

    topic_id: int
    title: str


# No entry commands: 进展 typed at the question runs as itself, the question waiting.
DELETE = dialog(router, "topic_delete", DoomedTopic, states=("confirm",), entry=(),
                activity="topics.delete_activity", declined="topics.delete_kept")


@functools.cache
def _percent_pattern() -> re.Pattern[str]:
    """A percentage ending a progress text ("完成第三轮调试 60%", "进度 60%")."""
    prefixes = alternation(vocabulary("input.topics.percent_prefix"))
    return re.compile(rf"(?:{prefixes})?\s*(?<!\d)(\d{{1,4}})\s*[%％]\s*$", re.IGNORECASE)


def _kinds(ctx: Ctx) -> str:
    return join(ctx.words, [ctx.t(f"topic.kind.{k}") for k in TOPIC_KINDS])


def _key(title: str) -> str:
    return normalise(title).replace(" ", "")


def find_topic(topics: list[Topic], title: str) -> tuple[list[Topic], list[Topic]]:
    """(the topics `title` names, close spellings to offer): the exact one, else those whose
    name contains it ("焊接机器" for "焊接机器人"); failing both, titles spelt alike are
    only offered — "扭矩检测二" must not land in "扭矩检测一" unasked."""
    key = _key(title)
    exact = [t for t in topics if _key(t.title) == key]
    if exact:
        return exact, []
    partial = [t for t in topics if key in _key(t.title)]
    if partial:
        return partial, []
    keys = {_key(t.title): t for t in topics}
    return [], [keys[k] for k in difflib.get_close_matches(key, list(keys), n=3, cutoff=0.6)]


def _percent_of(content: str) -> tuple[str, int | None] | None:
    """(content without a trailing percentage, the percentage); None if it is out of range."""
    found = _percent_pattern().search(content)  # \d and int() take full-width digits as well
    if found is None:
        return content, None
    value = int(found.group(1))
    if value > 100:
        return None
    return content[: found.start()].rstrip(" ，,"), value


def _date_of(text: str) -> date | None:
    found = _DATE.match(normalise(text).strip())
    if found is None:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None


def _first_word(text: str) -> tuple[str, str]:
    """The first word and the rest; any blank (a full-width one too) separates them."""
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else (text.strip(), "")


def _snippet(ctx: Ctx, text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + ctx.t("common.ellipsis")


def _line_percent(ctx: Ctx, value: int | None) -> str:
    return ctx.t("topics.line_percent", percent=percent(ctx.words, value / 100)) \
        if value is not None else ""


@router.command("进展", aliases=("progress",), takes_args=True, roles=(ROLE_LEADER,),
                summary="cmd.progress.summary", usage="cmd.progress.usage")
async def on_progress(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    args = ctx.args.strip()
    if not args:
        return await _overview(ctx)
    title, rest = _first_word(args)
    if len(title) > MAX_TITLE:
        return ctx.reply("topics.title_too_long", limit=MAX_TITLE)
    topics = await topics_of(ctx.session, member.studio_id)
    found, alike = find_topic(topics, title)
    if not rest:
        if len(found) == 1:
            return await _detail(ctx, found[0])
        return ctx.reply("topics.usage")
    word, value = _first_word(rest)
    if says(rest, _DELETE) or (value and says(word, _RENAME)):
        if len(found) > 1:
            choices = "\n".join(ctx.t("topics.choice_bullet", title=t.title) for t in found)
            return ctx.reply("topics.ambiguous", title=title, choices=choices)
        if not found:
            return ctx.reply("topics.no_such", title=title)
        if says(rest, _DELETE):
            return await _ask_delete(ctx, found[0])
        return await _rename(ctx, found[0], topics, value)
    if len(rest) > MAX_CHARS:
        return ctx.reply("topics.too_long", limit=MAX_CHARS, chars=len(rest))
    split = _percent_of(rest)
    if split is None:
        return ctx.reply("topics.bad_percent", low=percent(ctx.words, 0), high=percent(ctx.words, 1))
    content, figure = split
    if len(found) > 1:
        choices = "\n".join(ctx.t("topics.choice_bullet", title=t.title) for t in found)
        return ctx.reply("topics.ambiguous", title=title, choices=choices)
    if not found:
        CREATE.enter(ctx, "create", NewTopic(title=title, content=content or rest, percent=figure,
                                             alike=[[t.id, t.title] for t in alike]))
        if alike:
            choices = "\n".join(ctx.t("topics.choice_numbered", i=i, title=t.title)
                                for i, t in enumerate(alike, 1))
            return ctx.reply("topics.ask_alike", title=title, choices=choices, kinds=_kinds(ctx),
                             create=_create_words(ctx, title))
        return ctx.reply("topics.ask_create", title=title,
                         kind=ctx.t(f"topic.kind.{TOPIC_KIND_DEFAULT}"), kinds=_kinds(ctx))
    topic = found[0]
    note = ctx.t("topics.matched", title=topic.title) if _key(topic.title) != _key(title) else ""
    return Text(await _apply(ctx, topic.id, content or rest, figure) + note)


@CREATE.step("create")
async def on_create_answer(msg: Incoming, ctx: Ctx, data: NewTopic) -> Step:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    answer = normalise(msg.text or "").strip()
    alike = {i: int(pair[0]) for i, pair in enumerate(data.alike, 1)}
    if answer.isdigit() and int(answer) in alike:
        picked = [t for t in await topics_of(ctx.session, member.studio_id)
                  if t.id == alike[int(answer)]]
        if picked:
            return end(Text(await _apply(ctx, picked[0].id, data.content, data.percent)))
        return end(ctx.reply("topics.usage"))
    kind = _create_answer(answer, data.title)
    if data.alike:
        # Topics spelt alike were offered: only 新建 <名称> creates another.
        if kind is None and is_yes(answer):
            return stay(ctx.reply("topics.alike_yes", create=_create_words(ctx, data.title)))
        if kind is None:
            return stay(ctx.reply("topics.bad_create_alike",
                                  create=_create_words(ctx, data.title)))
    elif kind is None:
        kind = TOPIC_KIND_DEFAULT if is_yes(answer) else code_of("input.topics.kind",
                                                                  TOPIC_KINDS, answer)
    if kind is None:
        return stay(ctx.reply("topics.bad_create", title=data.title, kinds=_kinds(ctx)))
    # The same title may have been created meanwhile (another leader): use that one.
    existing = [t for t in await topics_of(ctx.session, member.studio_id)
                if _key(t.title) == _key(data.title)]
    if existing:
        topic_id, created = existing[0].id, ""
    else:
        state = await create_topic(ctx.session, studio_id=member.studio_id, title=data.title,
                                   kind=kind, owner_id=member.id,
                                   today=ctx.now.astimezone(ctx.settings.tz).date(), now=ctx.now)
        topic_id = state.id
        created = ctx.t("topics.created", title=state.title, kind=ctx.t(f"topic.kind.{state.kind}"))
    return end(Text(created + await _apply(ctx, topic_id, data.content, data.percent)))


def _create_words(ctx: Ctx, title: str) -> str:
    """What to type to create the topic after all: 新建 <名称> in the reader's words."""
    return ctx.t("topics.create_words", title=title)


def _create_answer(answer: str, title: str) -> str | None:
    """The kind 「新建 <名称> [类型]」 creates the topic `title` as (the default without a
    kind); None when the answer is not that."""
    word, rest = _first_word(answer)
    if not says(word, _CREATE) or not rest:
        return None
    name, kind_word = _first_word(rest)
    if _key(name) != _key(title):
        return None
    if not kind_word:
        return TOPIC_KIND_DEFAULT
    return code_of("input.topics.kind", TOPIC_KINDS, kind_word)


async def _rename(ctx: Ctx, topic: Topic, topics: list[Topic], new_title: str) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    if len(new_title.split()) > 1:
        return ctx.reply("topics.rename_usage")
    if len(new_title) > MAX_TITLE:
        return ctx.reply("topics.title_too_long", limit=MAX_TITLE)
    if new_title == topic.title:
        return ctx.reply("topics.rename_same", title=topic.title)
    # Names that differ only in width, case or blanks would be found as one: taken too.
    if any(_key(t.title) == _key(new_title) for t in topics if t.id != topic.id):
        return ctx.reply("topics.rename_taken", title=new_title)
    old_title = topic.title
    try:
        state = await rename_topic(ctx.session, topic.id, studio_id=member.studio_id,
                                   title=new_title, now=ctx.now)
    except WrongState:
        return ctx.reply("topics.rename_taken", title=new_title)
    return ctx.reply("topics.renamed", old=old_title, title=state.title)


async def _ask_delete(ctx: Ctx, topic: Topic) -> Reply:
    DELETE.enter(ctx, "confirm", DoomedTopic(topic_id=topic.id, title=topic.title))
    return ctx.reply("topics.ask_delete", title=topic.title,
                     n=await progress_count(ctx.session, topic.id))


@DELETE.step("confirm")
async def on_delete_answer(msg: Incoming, ctx: Ctx, data: DoomedTopic) -> Step:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    if not is_yes(msg.text or ""):
        return stay(ctx.reply("topics.delete_again", title=data.title))
    try:
        deleted = await delete_topic(ctx.session, data.topic_id, studio_id=member.studio_id,
                                     now=ctx.now)
    except NotFound:  # deleted meanwhile (another leader)
        return end(ctx.reply("topics.gone", title=data.title))
    return end(ctx.reply("topics.deleted", title=deleted.title, n=deleted.kept))


async def _apply(ctx: Ctx, topic_id: int, content: str, figure: int | None) -> str:
    """Record a progress update, or set a field when the text starts with its name."""
    member = ctx.member
    assert member is not None and member.studio_id is not None
    word, value = _first_word(content)
    field_name = code_of("input.topics.field", FIELDS, word)
    if field_name is not None and value:
        return await _set_field(ctx, topic_id, field_name, value)
    state = await record_progress(ctx.session, topic_id, studio_id=member.studio_id,
                                  author_id=member.id, content=content, percent=figure,
                                  now=ctx.now)
    shown = ctx.t("topics.saved_percent", percent=percent(ctx.words, figure / 100)) \
        if figure is not None else ""
    return ctx.t("topics.saved", title=state.title, percent=shown,
                 status=ctx.words.named("topic.status", state.status))


async def _set_field(ctx: Ctx, topic_id: int, field_name: str, value: str) -> str:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    studio_id, now = member.studio_id, ctx.now
    state: TopicState
    if field_name == "status":
        status = code_of("input.topics.status", TOPIC_STATUSES, value)
        if status is None:
            return ctx.t("topics.bad_status", choices=join(
                ctx.words, [ctx.t(f"topic.status.{s}") for s in TOPIC_STATUSES]))
        shown = ctx.t(f"topic.status.{status}")
        state = await set_status(ctx.session, topic_id, studio_id=studio_id, author_id=member.id,
                                 status=status, note=ctx.t("topics.status_changed", status=shown),
                                 now=now)
    elif field_name == "kind":
        kind = code_of("input.topics.kind", TOPIC_KINDS, value)
        if kind is None:
            return ctx.t("topics.bad_kind", choices=_kinds(ctx))
        state = await set_kind(ctx.session, topic_id, studio_id=studio_id, kind=kind, now=now)
        shown = ctx.t(f"topic.kind.{kind}")
    elif field_name == "owner":
        try:
            state = await set_owner(ctx.session, topic_id, studio_id=studio_id, owner=value,
                                    now=now)
        except NotFound as refused:
            if refused.code != "unknown_owner":
                raise
            return ctx.t("topics.unknown_owner", name=value[:20])
        shown = state.owner_name or value
    elif field_name == "due_date":
        due = _date_of(value)
        if due is None:
            return ctx.t("topics.bad_date")
        state = await set_due_date(ctx.session, topic_id, studio_id=studio_id, due=due, now=now)
        shown = due.isoformat()
    else:
        state = await set_target(ctx.session, topic_id, studio_id=studio_id,
                                 period=_TARGETS[field_name], text=value, now=now)
        shown = value
    return ctx.t("topics.field_set", title=state.title, field=ctx.t(f"topics.field.{field_name}"),
                 value=shown)


def _headline(ctx: Ctx, v: TopicView) -> dict[str, str]:
    return {"title": v.title, "kind": ctx.words.named("topic.kind", v.kind),
            "status": ctx.words.named("topic.status", v.status), "percent": _line_percent(ctx, v.percent)}


async def _overview(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    views = await topic_overview(ctx.session, member.studio_id)
    if not views:
        return ctx.reply("topics.none")
    lines = [ctx.t("topics.overview_header", studio=member.studio_name or "", n=len(views))]
    tz = ctx.settings.tz
    for i, v in enumerate(views, 1):
        lines.append(ctx.t("topics.line", i=i, **_headline(ctx, v)))
        if v.last_update is None or v.last_update_at is None:
            lines.append(ctx.t("topics.no_update_line"))
        else:
            lines.append(ctx.t("topics.last_line",
                               day=month_day(ctx.words, v.last_update_at.astimezone(tz).date()),
                               content=_snippet(ctx, v.last_update, SNIPPET)))
    return Text(fit_lines(lines, ctx.t("topics.more")))


async def _detail(ctx: Ctx, topic: Topic) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    views = {v.id: v for v in await topic_overview(ctx.session, member.studio_id)}
    v = views[topic.id]
    not_set = ctx.t("topics.not_set")
    lines = [ctx.t("topics.detail_header", **_headline(ctx, v),
                   owner=v.owner or ctx.t("topics.no_owner"),
                   due=v.due_date.isoformat() if v.due_date else not_set)]
    if topic.monthly_target or topic.quarterly_target:
        lines.append(ctx.t("topics.targets", monthly=topic.monthly_target or not_set,
                           quarterly=topic.quarterly_target or not_set))
    tz = ctx.settings.tz
    # Progress and the statuses a leader set, apart: a status change is no progress.
    updates = await topic_history(ctx.session, topic.id, PROGRESS_UPDATE, HISTORY_SHOWN)
    lines.append(ctx.t("topics.progress_header" if updates else "topics.no_update"))
    for i, u in enumerate(updates):
        figure = ctx.t("topics.saved_percent", percent=percent(ctx.words, u.percent / 100)) \
            if u.percent is not None else ""
        lines.append(ctx.t("topics.progress_line",
                           day=month_day(ctx.words, u.created_at.astimezone(tz).date()),
                           content=_snippet(ctx, u.content, LATEST_SHOWN if i == 0 else SNIPPET),
                           percent=figure))
    changes = await topic_history(ctx.session, topic.id, PROGRESS_STATUS, HISTORY_SHOWN)
    if changes:
        lines.append(ctx.t("topics.status_header"))
        lines += [ctx.t("topics.status_line",
                        day=month_day(ctx.words, c.created_at.astimezone(tz).date()),
                        status=ctx.words.named("topic.status", c.status or ""))
                  for c in changes]
    return Text(fit_lines(lines, ctx.t("topics.more")))
