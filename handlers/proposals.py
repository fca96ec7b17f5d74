"""建议 and 成果: what members put forward, and the leaders' decisions that answer them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text, fit_lines
from bot.routing import Router, normalise
from storage.models import RESULT_TYPES, ROLE_LEADER, ROLE_MEMBER, Achievement, Suggestion
from storage.queries.outbox import enqueue
from storage.queries.proposals import (
    achievement_by_id,
    achievement_counts,
    achievements_listed,
    add_achievement,
    add_suggestion,
    suggestion_by_id,
    suggestion_counts,
    suggestions_listed,
)
from storage.queries.studios import leaders_of

router = Router("proposals")

MAX_CHARS = 1000
MAX_TITLE = 100
LISTED = 10

SUGGESTION_STATUS = {"submitted": "待处理", "accepted": "已采纳", "rejected": "未采纳",
                     "implemented": "已实施"}
RESULT_STATUS = {"reported": "待认定", "verified": "已认定", "returned": "已退回"}

# -- 建议 ------------------------------------------------------------------------------
SUGGEST_USAGE = "请发送“建议 内容”，如“建议 在二号线增加一处扭矩复检点”。"
SUGGESTED = "已提交合理化建议（编号 {id}）。{then}"
# Only promise a push when one can be sent (WECHAT_APP_ID/SECRET configured).
SUGGESTED_THEN = {True: "领衔人会收到提醒，处理结果会通知您。",
                  False: "领衔人发送“建议”即可看到；处理结果可发送“建议”查看。"}
NO_LEADER = "（工作室暂时没有领衔人，已登记备查，请同时告知工会管理员。）"
SUGGESTED_BY_LEADER = "已登记合理化建议（编号 {id}）。"
TO_LEADER_SUGGESTION = ("{name}提交了合理化建议（编号 {id}）：{content}\n"
                        "回复“采纳 {id} [意见]”“不采纳 {id} [原因]”或“实施 {id}”处理。")
MY_SUGGESTIONS = "您提交的合理化建议（最近 {n} 条）："
NO_MY_SUGGESTIONS = "您还没有提交过合理化建议。发送“建议 内容”即可提交。"
STUDIO_SUGGESTIONS = "本工作室合理化建议：共 {total} 条（{counts}）"
PENDING_SUGGESTIONS = "待处理："
NONE_PENDING = "没有待处理的建议。"
SUGGESTION_LINE = "编号 {id} {name}（{day}）{status}：{snippet}"
DECIDE_HINT = "处理：回复“采纳 编号 [意见]”“不采纳 编号 [原因]”或“实施 编号”。"
MORE = "……更多记录请用“workshop-bot export suggestions”导出。"

# -- 成果 ------------------------------------------------------------------------------
RESULT_USAGE = ("请发送“成果 类型 名称”，可加经济效益和推广情况，如“成果 实用新型 一种焊缝打磨装置 "
                "效益12万元 已推广”。类型：{types}。")
UNKNOWN_TYPE = "没有“{kind}”这种成果类型。可用的类型：{types}。"
RESULT_SAVED = "已登记成果（编号 {id}）：{type}·{title}{benefit}{promoted}，{then}"
RESULT_THEN_MEMBER = "待领衔人认定。"
RESULT_THEN_LEADER = "可回复“认定 {id}”完成认定。"
TO_LEADER_RESULT = ("{name}登记了成果（编号 {id}）：{type}·{title}{benefit}{promoted}\n"
                    "核实后回复“认定 {id}”，或“退回 {id} 原因”。")
MY_RESULTS = "您登记的成果（最近 {n} 项）："
NO_MY_RESULTS = "您还没有登记过成果。发送“成果 类型 名称”即可登记。"
STUDIO_RESULTS = "本工作室成果：共 {total} 项（{counts}）"
PENDING_RESULTS = "待认定："
NONE_PENDING_RESULTS = "没有待认定的成果。"
RESULT_LINE = "编号 {id} {name}（{day}）{status}：{type}·{title}"
VERIFY_HINT = "处理：回复“认定 编号 [说明]”或“退回 编号 原因”。"
MORE_RESULTS = "……更多记录请用“workshop-bot export results”导出。"

# -- decisions -------------------------------------------------------------------------
DECIDE_USAGE = "请发送“{command} 编号 [{what}]”，如“{command} 12 {example}”。"
NOT_FOUND = "本工作室没有编号 {id} 的{noun}，请核对编号。"
ALREADY = "编号 {id} 的{noun}已经是“{status}”了。"
CANNOT = "编号 {id} 的{noun}目前是“{status}”，不能再标为“{target}”。"
DECIDED = "已将编号 {id} 的{noun}标为“{status}”{said}。{notified}"
NOTIFIED = {True: "{name}会收到通知。", False: "{name}发送“建议”或“成果”可看到。"}
TO_PROPOSER = "您的{noun}（编号 {id}：{snippet}）已被领衔人{leader}标为“{status}”{said}。"

# Nine digits at most: a longer "number" is a typo, and would overflow an INTEGER column.
_ID_ARGS = re.compile(r"^#?(\d{1,9})(?!\d)\s*(.*)$", re.S)
_BENEFIT = re.compile(r"(?:经济效益|效益|创效)?\s*[:：]?\s*(\d+(?:\.\d+)?)\s*万元?")
_PROMOTED = re.compile(r"(已推广(?:应用)?|推广应用)")
_TYPE_WORDS = {normalise(t): t for t in RESULT_TYPES} | {
    "发明": "发明专利", "专利": "发明专利", "实用新型专利": "实用新型", "外观": "外观设计",
    "外观设计专利": "外观设计", "软著": "软件著作权", "软件著作": "软件著作权", "qc": "QC成果",
    "五小": "五小成果", "获奖": "竞赛获奖", "竞赛": "竞赛获奖", "技能竞赛": "竞赛获奖",
}


def _snippet(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _day(ctx: Ctx, record: Suggestion | Achievement) -> str:
    local = record.created_at.astimezone(ctx.settings.tz)
    return f"{local.month}月{local.day}日"


def _counts(counts: dict[str, int], names: dict[str, str]) -> str:
    return "，".join(f"{label} {counts.get(key, 0)}" for key, label in names.items())


@router.command("建议", aliases=("suggest",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="合理化建议：提交建议；只发“建议”查看处理情况", usage="建议 [内容]")
async def on_suggest(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    content = ctx.args.strip()
    if not content:
        return await _suggestions_overview(ctx)
    if len(content) > MAX_CHARS:
        return Text(f"建议内容最多 {MAX_CHARS} 字，这次有 {len(content)} 字，请精简后再发。")
    suggestion = await add_suggestion(ctx.session, studio_id=member.studio_id,
                                      member_id=member.id, content=content, now=ctx.now)
    text = TO_LEADER_SUGGESTION.format(name=member.name, id=suggestion.id,
                                       content=_snippet(content, 300))
    leaders = await leaders_of(ctx.session, member.studio_id)
    for leader in leaders:
        if leader != member.id:
            await enqueue(ctx.session, kind="suggestion", period=f"suggestion:{suggestion.id}",
                          recipient_id=leader, text=text, now=ctx.now)
    done = SUGGESTED_BY_LEADER if member.role == ROLE_LEADER else SUGGESTED
    return Text(done.format(id=suggestion.id, then=SUGGESTED_THEN[ctx.settings.can_push])
                + ("" if leaders else NO_LEADER))


async def _suggestions_overview(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    if member.role != ROLE_LEADER:
        mine = await suggestions_listed(ctx.session, member_id=member.id, limit=LISTED)
        if not mine:
            return Text(NO_MY_SUGGESTIONS + "\n" + SUGGEST_USAGE)
        lines = [MY_SUGGESTIONS.format(n=len(mine))]
        lines += [SUGGESTION_LINE.format(id=s.id, name="", day=_day(ctx, s),
                                         status=SUGGESTION_STATUS[s.status],
                                         snippet=_snippet(s.content)) for s, _ in mine]
        return Text(fit_lines(lines, MORE))
    counts = await suggestion_counts(ctx.session, studio_id=member.studio_id)
    lines = [STUDIO_SUGGESTIONS.format(total=sum(counts.values()),
                                       counts=_counts(counts, SUGGESTION_STATUS))]
    pending = await suggestions_listed(ctx.session, studio_id=member.studio_id,
                                       status="submitted", limit=LISTED)
    if pending:
        lines.append(PENDING_SUGGESTIONS)
        lines += [SUGGESTION_LINE.format(id=s.id, name=name, day=_day(ctx, s), status="",
                                         snippet=_snippet(s.content)) for s, name in pending]
        lines.append(DECIDE_HINT)
    else:
        lines.append(NONE_PENDING)
    return Text(fit_lines(lines, MORE))


def _result_parts(args: str) -> tuple[str, str, float | None, bool] | str:
    """(type, title, benefit in 万元, promoted) from "类型 名称 …", or the reply to send."""
    types = "、".join(RESULT_TYPES)
    words = args.split(maxsplit=1)
    if len(words) < 2:
        return RESULT_USAGE.format(types=types)
    kind = _TYPE_WORDS.get(normalise(words[0]))
    if kind is None:
        return UNKNOWN_TYPE.format(kind=words[0][:20], types=types)
    title = words[1]
    benefit = None
    found = _BENEFIT.search(title)
    if found is not None:
        benefit = float(found.group(1))
        title = title[: found.start()] + title[found.end():]
    promoted = _PROMOTED.search(title) is not None
    title = _PROMOTED.sub("", title)
    title = " ".join(title.replace("，", " ").replace(",", " ").split())
    if not title:
        return RESULT_USAGE.format(types=types)
    if len(title) > MAX_TITLE:
        return f"成果名称最多 {MAX_TITLE} 字，请用简短的名称。"
    return kind, title, benefit, promoted


def _benefit_text(benefit: float | None) -> str:
    return f"，经济效益 {benefit:g} 万元" if benefit is not None else ""


@router.command("成果", aliases=("result",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="成果：登记专利、QC、五小、获奖等成果；只发“成果”查看", usage="成果 [类型 名称]")
async def on_result(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    args = ctx.args.strip()
    if not args:
        return await _results_overview(ctx)
    parts = _result_parts(args)
    if isinstance(parts, str):
        return Text(parts)
    kind, title, benefit, promoted = parts
    result = await add_achievement(ctx.session, studio_id=member.studio_id, member_id=member.id,
                                   type=kind, title=title, economic_benefit=benefit,
                                   promoted=promoted, now=ctx.now)
    facts = {"id": result.id, "type": kind, "title": title, "benefit": _benefit_text(benefit),
             "promoted": "，已推广应用" if promoted else "", "name": member.name}
    leaders = await leaders_of(ctx.session, member.studio_id)
    for leader in leaders:
        if leader != member.id:
            await enqueue(ctx.session, kind="result", period=f"result:{result.id}",
                          recipient_id=leader, text=TO_LEADER_RESULT.format(**facts), now=ctx.now)
    then = RESULT_THEN_LEADER if member.role == ROLE_LEADER else RESULT_THEN_MEMBER
    saved = RESULT_SAVED.format(then=then.format(id=result.id), **facts)
    return Text(saved + ("" if leaders else NO_LEADER))


async def _results_overview(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    if member.role != ROLE_LEADER:
        mine = await achievements_listed(ctx.session, member_id=member.id, limit=LISTED)
        if not mine:
            return Text(NO_MY_RESULTS + "\n" + RESULT_USAGE.format(types="、".join(RESULT_TYPES)))
        lines = [MY_RESULTS.format(n=len(mine))]
        lines += [RESULT_LINE.format(id=a.id, name="", day=_day(ctx, a),
                                     status=RESULT_STATUS[a.status], type=a.type,
                                     title=_snippet(a.title)) for a, _ in mine]
        return Text(fit_lines(lines, MORE_RESULTS))
    counts = await achievement_counts(ctx.session, studio_id=member.studio_id)
    lines = [STUDIO_RESULTS.format(total=sum(counts.values()), counts=_counts(counts, RESULT_STATUS))]
    pending = await achievements_listed(ctx.session, studio_id=member.studio_id,
                                        status="reported", limit=LISTED)
    if pending:
        lines.append(PENDING_RESULTS)
        lines += [RESULT_LINE.format(id=a.id, name=name, day=_day(ctx, a), status="",
                                     type=a.type, title=_snippet(a.title)) for a, name in pending]
        lines.append(VERIFY_HINT)
    else:
        lines.append(NONE_PENDING_RESULTS)
    return Text(fit_lines(lines, MORE_RESULTS))


# -- leaders' decisions ----------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What is being decided: the words for it and where its messages go."""

    key: str  # suggestion / result: the outbox kind's prefix
    noun: str  # 建议 / 成果
    long_noun: str  # how the proposer's message names it
    proposer: str  # 提交人 / 登记人
    labels: dict[str, str]


SUGGESTIONS = Kind("suggestion", "建议", "合理化建议", "提交人", SUGGESTION_STATUS)
RESULTS = Kind("result", "成果", "成果", "登记人", RESULT_STATUS)


@dataclass(frozen=True)
class Decision:
    command: str
    kind: Kind
    status: str
    what: str  # what may follow the number
    example: str
    allowed_from: tuple[str, ...]  # the statuses this decision may follow


ACCEPT = Decision("采纳", SUGGESTIONS, "accepted", "意见", "下月起试行", ("submitted", "rejected"))
REJECT = Decision("不采纳", SUGGESTIONS, "rejected", "原因", "现有工装已能满足",
                  ("submitted", "accepted"))
IMPLEMENT = Decision("实施", SUGGESTIONS, "implemented", "说明", "已在二号线落地",
                     ("submitted", "accepted"))
VERIFY = Decision("认定", RESULTS, "verified", "说明", "已核对专利证书", ("reported", "returned"))
RETURN = Decision("退回", RESULTS, "returned", "原因", "请补充证书编号", ("reported", "verified"))


async def _decide(ctx: Ctx, d: Decision) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    found = _ID_ARGS.match(ctx.args.strip())
    if found is None:
        return Text(DECIDE_USAGE.format(command=d.command, what=d.what, example=d.example))
    record_id, said = int(found.group(1)), found.group(2).strip()[:500]
    kind, labels = d.kind, d.kind.labels
    record: Suggestion | Achievement | None = (
        await suggestion_by_id(ctx.session, record_id) if kind is SUGGESTIONS
        else await achievement_by_id(ctx.session, record_id))
    # Another studio's record looks exactly like a missing one.
    if record is None or record.studio_id != member.studio_id:
        return Text(NOT_FOUND.format(id=record_id, noun=kind.noun))
    if record.status == d.status:
        return Text(ALREADY.format(id=record_id, noun=kind.noun, status=labels[d.status]))
    if record.status not in d.allowed_from:
        return Text(CANNOT.format(id=record_id, noun=kind.noun, status=labels[record.status],
                                  target=labels[d.status]))
    record.status = d.status
    if isinstance(record, Suggestion):
        record.reply, record.decided_by_id, record.decided_at = said or None, member.id, ctx.now
        subject = record.content
    else:
        record.note, record.verified_by_id, record.verified_at = said or None, member.id, ctx.now
        subject = f"{record.type}·{record.title}"
    comment = f"，{d.what}：{said}" if said else ""
    notified = ""
    if record.member_id != member.id:
        text = TO_PROPOSER.format(noun=kind.long_noun, id=record_id, snippet=_snippet(subject),
                                  leader=member.name, status=labels[d.status], said=comment)
        # One message per decision: a change of mind later is news again.
        await enqueue(ctx.session, kind=f"{kind.key}-decision",
                      period=f"{record_id}:{d.status}:{int(ctx.now.timestamp())}",
                      recipient_id=record.member_id, text=text, now=ctx.now)
        notified = NOTIFIED[ctx.settings.can_push].format(name=kind.proposer)
    return Text(DECIDED.format(id=record_id, noun=kind.noun, status=labels[d.status], said=comment,
                               notified=notified))


@router.command("采纳", aliases=("accept",), takes_args=True, roles=(ROLE_LEADER,),
                summary="采纳一条合理化建议", usage="采纳 <编号> [意见]")
async def on_accept(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, ACCEPT)


@router.command("不采纳", aliases=("reject", "驳回"), takes_args=True, roles=(ROLE_LEADER,),
                summary="不采纳一条合理化建议", usage="不采纳 <编号> [原因]")
async def on_reject(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, REJECT)


@router.command("实施", aliases=("implemented", "已实施"), takes_args=True, roles=(ROLE_LEADER,),
                summary="把一条建议标为已实施", usage="实施 <编号> [说明]")
async def on_implemented(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, IMPLEMENT)


@router.command("认定", aliases=("verify",), takes_args=True, roles=(ROLE_LEADER,),
                summary="认定成员登记的成果", usage="认定 <编号> [说明]")
async def on_verify(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, VERIFY)


@router.command("退回", aliases=("return",), takes_args=True, roles=(ROLE_LEADER,),
                summary="退回成员登记的成果", usage="退回 <编号> <原因>")
async def on_return(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, RETURN)
