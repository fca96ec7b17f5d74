"""进展: a leader's progress updates on the studio's topics (课题 / 攻关项目)."""

from __future__ import annotations

import difflib
import re
from datetime import date
from typing import Any

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text, fit_lines
from bot.routing import Router, normalise
from handlers.parsing import is_yes
from storage.models import ROLE_LEADER, TOPIC_KINDS, TOPIC_STATUSES, Topic
from storage.queries.topics import (
    add_progress,
    add_topic,
    studio_member_named,
    topic_overview,
    topics_of,
)

router = Router("topics")

CREATE = "topics.create"

MAX_TITLE = 40
MAX_CHARS = 1000

USAGE = ("请按“进展 课题名称 进展内容 [百分比]”发送，如“进展 焊接机器人 完成第三轮调试 60%”。"
         "只发“进展”可查看本工作室的课题。")
NO_TOPICS = "本工作室还没有课题。发送“进展 课题名称 进展内容”即可新建课题并记录第一条进展。"
OVERVIEW_HEADER = "{studio}的课题（{n} 个）："
TOPIC_LINE = "{i}. {title}（{kind}·{status}{percent}）"
LAST_LINE = "   {day}：{content}"
NO_UPDATE = "   还没有进展记录"
MORE = "……课题较多，完整记录请用“workshop-bot export studio-ledger”导出。"
ASK_CREATE = ("本工作室还没有名为“{title}”的课题。回复“是”新建该课题（类型：技术攻关）并记录这条进展；"
              "也可回复类型（技术攻关、课题研究、五小、QC）新建为该类型；回复“取消”放弃。")
ASK_ALIKE = ("本工作室没有名为“{title}”的课题，您是指：\n{choices}\n回复序号把进展记到该课题；"
             "回复“是”新建课题“{title}”（也可回复类型：技术攻关、课题研究、五小、QC）；回复“取消”放弃。")
BAD_CREATE = "请回复“是”新建课题“{title}”，或回复类型（技术攻关、课题研究、五小、QC），或回复“取消”。"
AMBIGUOUS = "“{title}”可能指以下课题，请用完整名称再发一次：\n{choices}"
TITLE_TOO_LONG = "课题名称最多 {limit} 字，请用简短的名称。"
TOO_LONG = "进展内容最多 {limit} 字，这次有 {chars} 字，请精简后再发。"
BAD_PERCENT = "百分比应在 0% 到 100% 之间，请改正后再发。"
CREATED = "已新建课题“{title}”（{kind}）。"
MATCHED = "（按课题“{title}”记录）"
SAVED = "已记录“{title}”的进展{percent}。当前状态：{status}。"
BAD_STATUS = "课题状态只能是：{choices}。"
BAD_KIND = "课题类型只能是：{choices}。"
BAD_DATE = "日期请写成 2026-12-31 的形式。"
UNKNOWN_OWNER = "本工作室没有叫“{name}”的成员，请核对姓名或工号。"
FIELD_SET = "已将“{title}”的{field}设为：{value}。"
DETAIL_HEADER = "{title}（{kind}·{status}{percent}）\n负责人：{owner}　截止：{due}"
TARGETS = "月度目标：{monthly}\n季度目标：{quarterly}"

# Progress text ending in a percentage: "完成第三轮调试 60%".
_PERCENT = re.compile(r"(?:进度)?\s*(?<!\d)(\d{1,4})\s*[%％]\s*$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
# "进展 课题 状态 验收" and friends set a field of the topic instead of adding prose.
_FIELDS = {"状态": "status", "类型": "kind", "负责人": "owner", "截止": "due_date",
           "截止日期": "due_date", "月目标": "monthly_target", "月度目标": "monthly_target",
           "季目标": "quarterly_target", "季度目标": "quarterly_target"}
_FIELD_NAMES = {"status": "状态", "kind": "类型", "owner": "负责人", "due_date": "截止日期",
                "monthly_target": "月度目标", "quarterly_target": "季度目标"}
_KIND_WORDS = {normalise(k): k for k in TOPIC_KINDS} | {"qc": "QC", "qc小组": "QC"}


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
    found = _PERCENT.search(content)  # \d and int() take full-width digits as well
    if found is None:
        return content, None
    value = int(found.group(1))
    if value > 100:
        return None
    return content[: found.start()].rstrip(" ，,"), value


def _first_word(text: str) -> tuple[str, str]:
    """The first word and the rest; any blank (a full-width one too) separates them."""
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else (text.strip(), "")


def _percent_text(percent: int | None) -> str:
    return f"·{percent}%" if percent is not None else ""


@router.command("进展", aliases=("progress",), takes_args=True, roles=(ROLE_LEADER,),
                summary="课题进展：记录或查看工作室课题的进展", usage="进展 [课题 内容 百分比]")
async def on_progress(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    args = ctx.args.strip()
    if not args:
        return await _overview(ctx)
    title, rest = _first_word(args)
    if len(title) > MAX_TITLE:
        return Text(TITLE_TOO_LONG.format(limit=MAX_TITLE))
    topics = await topics_of(ctx.session, member.studio_id)
    found, alike = find_topic(topics, title)
    if not rest:
        if len(found) == 1:
            return await _detail(ctx, found[0])
        return Text(USAGE)
    if len(rest) > MAX_CHARS:
        return Text(TOO_LONG.format(limit=MAX_CHARS, chars=len(rest)))
    split = _percent_of(rest)
    if split is None:
        return Text(BAD_PERCENT)
    content, percent = split
    if len(found) > 1:
        choices = "\n".join(f"· {t.title}" for t in found)
        return Text(AMBIGUOUS.format(title=title, choices=choices))
    if not found:
        ctx.dialog.go(CREATE, {"title": title, "content": content or rest, "percent": percent,
                               "alike": [[t.id, t.title] for t in alike]})
        if alike:
            choices = "\n".join(f"{i}. {t.title}" for i, t in enumerate(alike, 1))
            return Text(ASK_ALIKE.format(title=title, choices=choices))
        return Text(ASK_CREATE.format(title=title))
    topic = found[0]
    note = MATCHED.format(title=topic.title) if _key(topic.title) != _key(title) else ""
    reply = await _apply(ctx, topic, content or rest, percent)
    return Text(reply + note)


@router.dialog(CREATE)
async def on_create_answer(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    data: dict[str, Any] = ctx.dialog.data
    answer = normalise(msg.text or "").strip()
    alike = {i: topic_id for i, (topic_id, _title) in enumerate(data.get("alike", []), 1)}
    if answer.isdigit() and int(answer) in alike:
        ctx.dialog.end()
        picked = [t for t in await topics_of(ctx.session, member.studio_id)
                  if t.id == alike[int(answer)]]
        if picked:
            return Text(await _apply(ctx, picked[0], data["content"], data.get("percent")))
        return Text(USAGE)
    if is_yes(answer):
        kind = TOPIC_KINDS[0]
    elif answer in _KIND_WORDS:
        kind = _KIND_WORDS[answer]
    else:
        return Text(BAD_CREATE.format(title=data["title"]))
    ctx.dialog.end()
    today = ctx.now.astimezone(ctx.settings.tz).date()
    # The same title may have been created meanwhile (another leader): use that one.
    existing = [t for t in await topics_of(ctx.session, member.studio_id)
                if _key(t.title) == _key(data["title"])]
    topic = existing[0] if existing else await add_topic(
        ctx.session, studio_id=member.studio_id, title=data["title"], kind=kind,
        owner_id=member.id, today=today, now=ctx.now)
    created = "" if existing else CREATED.format(title=topic.title, kind=topic.kind)
    return Text(created + await _apply(ctx, topic, data["content"], data.get("percent")))


async def _apply(ctx: Ctx, topic: Topic, content: str, percent: int | None) -> str:
    """Record a progress update, or set a field when the text starts with its name."""
    member = ctx.member
    assert member is not None and member.studio_id is not None
    word, value = _first_word(content)
    field = _FIELDS.get(word)
    if field is not None and value:
        return await _set_field(ctx, topic, field, value)
    # The first update on a topic just set up means the work has started.
    status = "攻关中" if topic.status == "立项" else None
    await add_progress(ctx.session, topic, author_id=member.id, content=content, percent=percent,
                       status=status, now=ctx.now)
    return SAVED.format(title=topic.title, percent=f"（{percent}%）" if percent is not None else "",
                        status=topic.status)


async def _set_field(ctx: Ctx, topic: Topic, field: str, value: str) -> str:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    shown = value
    if field == "status":
        if value not in TOPIC_STATUSES:
            return BAD_STATUS.format(choices="、".join(TOPIC_STATUSES))
        await add_progress(ctx.session, topic, author_id=member.id, content=f"状态改为{value}",
                           percent=None, status=value, now=ctx.now)
        return FIELD_SET.format(title=topic.title, field="状态", value=value)
    if field == "kind":
        kind = _KIND_WORDS.get(normalise(value))
        if kind is None:
            return BAD_KIND.format(choices="、".join(TOPIC_KINDS))
        topic.kind = shown = kind
    elif field == "owner":
        owner = await studio_member_named(ctx.session, member.studio_id, value)
        if owner is None:
            return UNKNOWN_OWNER.format(name=value[:20])
        topic.owner_id, shown = owner.id, owner.name
    elif field == "due_date":
        found = _DATE.match(normalise(value))
        try:
            if found is None:
                raise ValueError(value)
            topic.due_date = date(*(int(g) for g in found.groups()))
        except ValueError:
            return BAD_DATE
        shown = topic.due_date.isoformat()
    elif field == "monthly_target":
        topic.monthly_target = value[:MAX_CHARS]
    else:
        topic.quarterly_target = value[:MAX_CHARS]
    topic.updated_at = ctx.now
    return FIELD_SET.format(title=topic.title, field=_FIELD_NAMES[field], value=shown)


async def _overview(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    views = await topic_overview(ctx.session, member.studio_id)
    if not views:
        return Text(NO_TOPICS)
    lines = [OVERVIEW_HEADER.format(studio=member.studio_name or "", n=len(views))]
    tz = ctx.settings.tz
    for i, v in enumerate(views, 1):
        lines.append(TOPIC_LINE.format(i=i, title=v.title, kind=v.kind, status=v.status,
                                       percent=_percent_text(v.percent)))
        if v.last_update is None or v.last_update_at is None:
            lines.append(NO_UPDATE)
        else:
            day = v.last_update_at.astimezone(tz)
            snippet = v.last_update if len(v.last_update) <= 40 else v.last_update[:40] + "…"
            lines.append(LAST_LINE.format(day=f"{day.month}月{day.day}日", content=snippet))
    return Text(fit_lines(lines, MORE))


async def _detail(ctx: Ctx, topic: Topic) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    views = {v.id: v for v in await topic_overview(ctx.session, member.studio_id)}
    v = views[topic.id]
    lines = [DETAIL_HEADER.format(title=v.title, kind=v.kind, status=v.status,
                                  percent=_percent_text(v.percent), owner=v.owner or "未指定",
                                  due=v.due_date.isoformat() if v.due_date else "未定")]
    if topic.monthly_target or topic.quarterly_target:
        lines.append(TARGETS.format(monthly=topic.monthly_target or "未定",
                                    quarterly=topic.quarterly_target or "未定"))
    if v.last_update is not None and v.last_update_at is not None:
        day = v.last_update_at.astimezone(ctx.settings.tz)
        lines.append(f"最近进展（{day.month}月{day.day}日）：{v.last_update}")
    else:
        lines.append("还没有进展记录。")
    return Text(fit_lines(lines, MORE))
