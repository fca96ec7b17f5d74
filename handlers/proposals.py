"""建议 and 成果: what members put forward, and the leaders' decisions that answer them.

Statuses and result types are stored as codes; people read them through the catalogs
(suggestion.status.*, result.status.*, result.type.*) and type a result's type in any
word the catalogs list (input.proposals.type.*). The decisions' rules are
domain.proposals': 不采纳 and 退回 want a reason; the same decision again with new words
changes the comment; one that undoes a final decision waits for the leader's 是 (the
decisions dialog). A member's own lists show the leader's comment under each record.

A result's economic benefit is read anywhere in its text and cut out of the title: a
benefit word (效益, 经济效益, 创效, 节约 … input.proposals.benefit_prefix) and an amount in
万元 or 元 (效益 3万, 3.5万元, 30000元, 叁万), or without the word an amount whose unit
says 元 (3万元, 30000元: "10万件" is not money). It is stored in 万元. A negative amount, an
amount with a benefit word but no unit (效益 30000: 元 or 万元?) and two amounts are
refused. A title close to one of the studio's results of the same type (still reported
or verified) is asked about before it is recorded: the same result twice would count
its benefit twice.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import partial

from bot.context import Ctx, Incoming
from bot.dialogs import Step, dialog, end, stay
from bot.replies import Reply, Text, fit_lines
from bot.routing import Router
from domain import NotFound, WrongState
from domain.proposals import (
    ACCEPT,
    IMPLEMENT,
    REJECT,
    RETURN,
    SUGGESTION,
    VERIFY,
    ChangesFinal,
    Decided,
    Decision,
    ReasonNeeded,
    decide,
    decision_for,
    decision_named,
    similar_result,
    submit_result,
    submit_suggestion,
)
from domain.proposals import RESULT as RESULT_SUBJECT  # RESULT here is the 成果 dialog
from handlers.parsing import (
    CLAUSE_END,
    RECORD_ARGS,
    Typed,
    alternation,
    bounded,
    code_of,
    has_words,
    is_no,
    is_yes,
    words_of,
)
from handlers.records import record_number, show_result, show_suggestion
from locales import Words, compose, numerals, vocabulary
from locales.formats import join, month_day
from locales.pushes import decision_push
from storage.models import (
    RESULT_REPORTED,
    RESULT_STATUSES,
    RESULT_TYPES,
    ROLE_LEADER,
    ROLE_MEMBER,
    SUGGESTION_STATUSES,
    Achievement,
    Suggestion,
)
from storage.queries.proposals import (
    achievement_counts,
    achievements_listed,
    suggestion_counts,
    suggestions_listed,
)

router = Router("proposals")

MAX_CHARS = 1000
MAX_TITLE = 100
LISTED = 10
SNIPPET = 30  # characters of a suggestion or result named in a list or a push
PUSH_CONTENT = 300  # characters of a new suggestion quoted to the leaders
TYPED_KIND_SHOWN = 20  # characters of an unknown result type repeated back
SUBMITTED = "submitted"
YUAN_PER_WAN = 10_000  # the benefit is stored in 万元
BENEFIT_DECIMALS = 4  # of a 万元: to the yuan

# An amount: 30000, 30,000, 3.5, or Chinese numerals (三万, 叁万伍仟).
_AMOUNT = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|{numerals.PATTERN})"
# Not inside a longer number.
_NOT_AFTER = rf"(?<![\d.{numerals.CHARS}])"


@functools.cache
def _benefit_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(an amount after a benefit word, an amount alone whose unit says 元)."""
    wan = bounded("input.proposals.benefit_unit")
    yuan = bounded("input.proposals.benefit_yuan")
    negative = bounded("input.negative")
    filler = bounded("input.figure.filler")
    # 万元 names money by itself; 万 alone only after a benefit word (10万件 is no money).
    money_wan = alternation([w for w in words_of("input.proposals.benefit_unit")
                             if any(y in w for y in words_of("input.proposals.benefit_yuan"))])
    # A few words may come between the benefit word and its amount (节约成本约2万元), not
    # a clause mark, a figure or a minus.
    gap = rf"[^\d{numerals.CHARS}{CLAUSE_END}\-]{{0,4}}?"
    amount = rf"(?P<neg>(?:{negative})\s*)?{_NOT_AFTER}(?P<n>{_AMOUNT})\s*"
    after_word = re.compile(
        rf"(?:{bounded('input.proposals.benefit_prefix')})\s*[:=]?{gap}\s*(?:(?:{filler})\s*)?"
        rf"{amount}(?:(?P<wan>{wan})|(?P<yuan>{yuan}))?")
    alone = re.compile(rf"{amount}(?:(?P<wan>{money_wan})|(?P<yuan>{yuan}))")
    return after_word, alone


def _in_wan(found: re.Match[str]) -> float | None:
    """The amount in 万元; None when its unit is not given (效益 30000)."""
    typed = found.group("n").replace(",", "")
    is_numeral = not typed[:1].isdigit()
    n = numerals.value_of(typed) if is_numeral else float(typed)
    if n is None:
        return None
    if found.group("wan"):
        return n
    if found.group("yuan") or (is_numeral and not all(c in numerals.DIGITS for c in typed)):
        # 30000元; 三万 and 五千 say their size themselves.
        return round(n / YUAN_PER_WAN, BENEFIT_DECIMALS)
    return None


@dataclass(frozen=True)
class _Benefit:
    title: str  # the title with the benefit cut out
    wan: float | None  # in 万元; None when the text gives none


def _benefit(ctx: Ctx, title: str) -> _Benefit | Reply:
    """The benefit in a result's text, and the text without it; or the refusal to send."""
    typed = Typed(title)
    after_word, alone = _benefit_patterns()
    found = list(after_word.finditer(typed.norm))
    taken = [(m.start(), m.end()) for m in found]
    found += [m for m in alone.finditer(typed.norm)
              if not any(a < m.end() and m.start() < b for a, b in taken)]
    if not found:
        return _Benefit(title, None)
    if len(found) > 1:
        found.sort(key=lambda m: m.start())
        said = join(ctx.words, [typed.span(m.start(), m.end()) for m in found])
        return ctx.reply("proposals.benefit_several", said=said)
    [m] = found
    said = typed.span(m.start(), m.end())
    if m.group("neg"):
        return ctx.reply("proposals.benefit_negative", said=said)
    wan = _in_wan(m)
    if wan is None:
        return ctx.reply("proposals.benefit_no_unit", said=said)
    rest = title[:typed.at(m.start())] + " " + title[typed.at(m.end()):]
    return _Benefit(rest, wan)


@functools.cache
def _promoted_pattern() -> re.Pattern[str]:
    return re.compile(alternation(vocabulary("input.proposals.promoted")), re.IGNORECASE)


def _cut(words: Words, text: str, n: int = SNIPPET) -> str:
    return text if len(text) <= n else text[:n] + words("common.ellipsis")


def _day(ctx: Ctx, record: Suggestion | Achievement) -> str:
    return month_day(ctx.words, record.created_at.astimezone(ctx.settings.tz).date())


def _counts(ctx: Ctx, counts: dict[str, int], prefix: str, codes: tuple[str, ...]) -> str:
    return ctx.t("proposals.count_separator").join(
        ctx.t("proposals.count", label=ctx.t(f"{prefix}.{code}"), n=counts.get(code, 0))
        for code in codes)


def _note_line(ctx: Ctx, subject: str, status: str, note: str | None) -> list[str]:
    """The leader's comment under a decided record in its proposer's list, cut short (建议 3
    shows it whole); none while it waits."""
    decision = decision_for(subject, status)
    if not note or decision is None:
        return []
    return [ctx.t("proposals.note_line", what=ctx.t(f"proposals.what.{decision.name}"),
                  note=_cut(ctx.words, note))]


def _types(words: Words) -> str:
    return join(words, [words(f"result.type.{code}") for code in RESULT_TYPES])


# -- 建议 ------------------------------------------------------------------------------


def _suggestion_push(name: str, record_id: int, content: str, words: Words) -> str:
    return words("push.suggestion.text", name=name, id=record_id,
                 content=_cut(words, content, PUSH_CONTENT))


@router.command("建议", aliases=("suggest",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="cmd.suggest.summary", usage="cmd.suggest.usage")
async def on_suggest(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    content = ctx.args.strip()
    if not content:
        return await _suggestions_overview(ctx)
    record_id = record_number(content)
    if record_id is not None:  # 建议 3: that suggestion, never a suggestion saying "3"
        return await show_suggestion(ctx, record_id)
    if not has_words(content):
        return ctx.reply("proposals.no_words")
    if len(content) > MAX_CHARS:
        return ctx.reply("proposals.too_long", limit=MAX_CHARS, chars=len(content))
    suggestion = await submit_suggestion(
        ctx.session, studio_id=member.studio_id, member_id=member.id, content=content,
        now=ctx.now, word=lambda record_id, language: compose(
            language, partial(_suggestion_push, member.name, record_id, content)))
    has_leader = suggestion.has_leader
    # Only promise a push when one can be sent (WECHAT_APP_ID/SECRET configured).
    then = ctx.t("proposals.suggested_then.push" if ctx.settings.can_push
                 else "proposals.suggested_then.no_push")
    done = "proposals.suggested_by_leader" if member.role == ROLE_LEADER else "proposals.suggested"
    return Text(ctx.t(done, id=suggestion.id, then=then)
                + ("" if has_leader else ctx.t("proposals.no_leader")))


async def _suggestions_overview(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    more = ctx.t("proposals.more_suggestions")
    if member.role != ROLE_LEADER:
        mine = await suggestions_listed(ctx.session, member_id=member.id, limit=LISTED)
        if not mine:
            return Text(ctx.t("proposals.no_my_suggestions") + "\n" + ctx.t("proposals.suggest_usage"))
        lines = [ctx.t("proposals.my_suggestions", n=len(mine))]
        for s, _ in mine:
            lines.append(ctx.t("proposals.suggestion_line", id=s.id, name="", day=_day(ctx, s),
                               status=ctx.words.named("suggestion.status", s.status),
                               snippet=_cut(ctx.words, s.content)))
            lines += _note_line(ctx, SUGGESTION, s.status, s.reply)
        return Text(fit_lines(lines, more))
    counts = await suggestion_counts(ctx.session, studio_id=member.studio_id)
    lines = [ctx.t("proposals.studio_suggestions", total=sum(counts.values()),
                   counts=_counts(ctx, counts, "suggestion.status", SUGGESTION_STATUSES))]
    pending = await suggestions_listed(ctx.session, studio_id=member.studio_id,
                                       status=SUBMITTED, limit=LISTED)
    if pending:
        lines.append(ctx.t("proposals.pending_suggestions"))
        lines += [ctx.t("proposals.suggestion_line", id=s.id, name=name, day=_day(ctx, s),
                        status="", snippet=_cut(ctx.words, s.content)) for s, name in pending]
        lines.append(ctx.t("proposals.decide_hint"))
    else:
        lines.append(ctx.t("proposals.none_pending_suggestions"))
    return Text(fit_lines(lines, more))


# -- 成果 ------------------------------------------------------------------------------


@dataclass
class ResultDraft:
    """A result waiting for its reporter's 是 (it looks like one the studio has)."""

    kind: str
    title: str
    benefit: float | None = None  # 万元
    promoted: bool = False


RESULT = dialog(router, "proposals", ResultDraft, states=("similar",), entry=("result",),
                declined="proposals.similar_dropped")

# Brackets left empty once the benefit is cut out: 一种夹具（效益3万元）.
_EMPTY_BRACKETS = re.compile(r"[(（\[【]\s*[)）\]】]")


def _result_parts(ctx: Ctx, args: str) -> ResultDraft | Reply:
    """The result described by "类型 名称 …", or the reply to send."""
    parts = args.split(maxsplit=1)
    if len(parts) < 2:
        return ctx.reply("proposals.result_usage", types=_types(ctx.words))
    kind = code_of("input.proposals.type", RESULT_TYPES, parts[0])
    if kind is None:
        return ctx.reply("proposals.unknown_type", kind=parts[0][:TYPED_KIND_SHOWN],
                         types=_types(ctx.words))
    benefit = _benefit(ctx, parts[1])
    if not isinstance(benefit, _Benefit):
        return benefit
    title = benefit.title
    promoted = _promoted_pattern().search(title) is not None
    title = _EMPTY_BRACKETS.sub(" ", _promoted_pattern().sub("", title))
    title = " ".join(title.replace("，", " ").replace(",", " ").split()).strip(" :：;；。.、")
    if not title:
        return ctx.reply("proposals.result_usage", types=_types(ctx.words))
    if len(title) > MAX_TITLE:
        return ctx.reply("proposals.title_too_long", limit=MAX_TITLE)
    return ResultDraft(kind=kind, title=title, benefit=benefit.wan, promoted=promoted)


@dataclass(frozen=True)
class _NewResult:
    """A result just reported, as the reply and the leaders' pushes word it."""

    id: int
    kind: str
    title: str
    benefit: float | None
    promoted: bool
    name: str  # who reported it

    def facts(self, words: Words) -> dict[str, object]:
        return {"id": self.id, "type": words.named("result.type", self.kind),
                "title": self.title, "name": self.name,
                "benefit": "" if self.benefit is None
                else words("proposals.benefit", benefit=f"{self.benefit:g}"),
                "promoted": words("proposals.promoted") if self.promoted else ""}

    def push(self, words: Words) -> str:
        return words("push.result.text", **self.facts(words))


@router.command("成果", aliases=("result",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="cmd.result.summary", usage="cmd.result.usage")
async def on_result(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    args = ctx.args.strip()
    if not args:
        return await _results_overview(ctx)
    record_id = record_number(args)
    if record_id is not None:  # 成果 3: that result in full
        return await show_result(ctx, record_id)
    draft = _result_parts(ctx, args)
    if not isinstance(draft, ResultDraft):
        return draft
    similar = await similar_result(ctx.session, studio_id=member.studio_id, type=draft.kind,
                                   title=draft.title)
    if similar is not None:
        RESULT.enter(ctx, "similar", draft)
        return ctx.reply("proposals.ask_similar", title=similar.title, id=similar.id)
    return await _record_result(ctx, draft)


@RESULT.step("similar")
async def on_similar(msg: Incoming, ctx: Ctx, draft: ResultDraft) -> Step:
    answer = msg.text or ""
    if is_yes(answer):
        return end(await _record_result(ctx, draft))
    if is_no(answer):
        return end(ctx.reply("proposals.similar_dropped"))
    return stay(ctx.reply("proposals.similar_again"))


async def _record_result(ctx: Ctx, draft: ResultDraft) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None

    def new(record_id: int) -> _NewResult:
        return _NewResult(id=record_id, kind=draft.kind, title=draft.title,
                          benefit=draft.benefit, promoted=draft.promoted, name=member.name)

    result = await submit_result(
        ctx.session, studio_id=member.studio_id, member_id=member.id, type=draft.kind,
        title=draft.title, economic_benefit=draft.benefit, promoted=draft.promoted,
        now=ctx.now, word=lambda record_id, language: compose(language, new(record_id).push))
    has_leader = result.has_leader
    then = ctx.t("proposals.result_then.leader" if member.role == ROLE_LEADER
                 else "proposals.result_then.member", id=result.id)
    saved = ctx.t("proposals.result_saved", then=then, **new(result.id).facts(ctx.words))
    return Text(saved + ("" if has_leader else ctx.t("proposals.no_leader")))


async def _results_overview(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    more = ctx.t("proposals.more_results")
    if member.role != ROLE_LEADER:
        mine = await achievements_listed(ctx.session, member_id=member.id, limit=LISTED)
        if not mine:
            return Text(ctx.t("proposals.no_my_results") + "\n"
                        + ctx.t("proposals.result_usage", types=_types(ctx.words)))
        lines = [ctx.t("proposals.my_results", n=len(mine))]
        for a, _ in mine:
            lines.append(ctx.t("proposals.result_line", id=a.id, name="", day=_day(ctx, a),
                               status=ctx.words.named("result.status", a.status),
                               type=ctx.words.named("result.type", a.type),
                               title=_cut(ctx.words, a.title)))
            lines += _note_line(ctx, RESULT_SUBJECT, a.status, a.note)
        return Text(fit_lines(lines, more))
    counts = await achievement_counts(ctx.session, studio_id=member.studio_id)
    lines = [ctx.t("proposals.studio_results", total=sum(counts.values()),
                   counts=_counts(ctx, counts, "result.status", RESULT_STATUSES))]
    pending = await achievements_listed(ctx.session, studio_id=member.studio_id,
                                        status=RESULT_REPORTED, limit=LISTED)
    if pending:
        lines.append(ctx.t("proposals.pending_results"))
        lines += [ctx.t("proposals.result_line", id=a.id, name=name, day=_day(ctx, a), status="",
                        type=ctx.words.named("result.type", a.type),
                        title=_cut(ctx.words, a.title)) for a, name in pending]
        lines.append(ctx.t("proposals.verify_hint"))
    else:
        lines.append(ctx.t("proposals.none_pending_results"))
    return Text(fit_lines(lines, more))


# -- leaders' decisions ----------------------------------------------------------------


def _status(words: Words, subject: str, code: str) -> str:
    # suggestion.status.<code>, result.status.<code>
    return words.named(f"{subject}.status", code)


def _said(words: Words, decision: Decision, said: str | None) -> str:
    return words("proposals.said", what=words(f"proposals.what.{decision.name}"), said=said) \
        if said else ""


def _decision_push(decision: Decision, leader: str, decided: Decided, choice: str | None) -> str:
    """What the proposer reads, in their own language (the console words it alike)."""
    return decision_push(choice, decision=decision.name, subject=decided.subject,
                         record_id=decided.id, content=decided.content,
                         result_type=decided.type, status=decided.status, said=decided.said,
                         decided_by=leader, comment_only=decided.comment_only)


@dataclass
class PendingDecision:
    """A decision that undoes a final one, waiting for the leader's 是."""

    decision: str  # Decision.name
    record_id: int
    said: str | None = None


# No entry commands: another decision typed at the question (a leader going down the list)
# runs as itself, the question waiting; one that asks in turn replaces it.
DECIDE = dialog(router, "decisions", PendingDecision, states=("confirm",), entry=(),
                activity="proposals.change_activity", declined="proposals.change_kept")


async def _decide(ctx: Ctx, decision: Decision) -> Reply:
    found = RECORD_ARGS.match(ctx.args.strip())
    if found is None:
        return ctx.reply(f"proposals.usage.{decision.name}")
    return await _take(ctx, decision, int(found.group(1)), found.group(2), confirmed=False)


@DECIDE.step("confirm")
async def on_confirm_change(msg: Incoming, ctx: Ctx, pending: PendingDecision) -> Step:
    if not is_yes(msg.text or ""):
        return stay(ctx.reply("proposals.confirm_again"))
    return end(await _take(ctx, decision_named(pending.decision), pending.record_id,
                           pending.said, confirmed=True))


async def _take(ctx: Ctx, decision: Decision, record_id: int, said: str | None, *,
                confirmed: bool) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    noun = ctx.t(f"proposals.noun.{decision.subject}")
    target = _status(ctx.words, decision.subject, decision.status)
    try:
        decided = await decide(ctx.session, decision, record_id, studio_id=member.studio_id,
                               leader_id=member.id, said=said, now=ctx.now,
                               word_push=partial(_decision_push, decision, member.name),
                               confirmed=confirmed)
    except NotFound:
        return ctx.reply("proposals.not_found", id=record_id, noun=noun)
    except ReasonNeeded:
        return ctx.reply(f"proposals.reason_needed.{decision.name}", id=record_id)
    except ChangesFinal as final:
        DECIDE.enter(ctx, "confirm", PendingDecision(decision.name, record_id, said))
        told = ctx.t("proposals.ask_change_told",
                     name=ctx.t(f"proposals.proposer.{decision.subject}")) \
            if final.facts["proposer_id"] != member.id and ctx.settings.can_push else ""
        return ctx.reply("proposals.ask_change", id=record_id, noun=noun, target=target,
                         status=_status(ctx.words, decision.subject, str(final.facts["status"])),
                         said=_said(ctx.words, decision, (said or "").strip()), told=told)
    except WrongState as refused:
        now_status = _status(ctx.words, decision.subject, str(refused.facts["status"]))
        if refused.code == "already":
            return ctx.reply("proposals.already", id=record_id, noun=noun, status=now_status,
                             what=ctx.t(f"proposals.what.{decision.name}"),
                             command=ctx.t(f"proposals.command.{decision.name}"))
        return ctx.reply("proposals.cannot", id=record_id, noun=noun, status=now_status,
                         target=target)
    notified = ""
    if decided.notified:
        proposer = ctx.t(f"proposals.proposer.{decision.subject}")
        notified = ctx.t("proposals.notified.push" if ctx.settings.can_push
                         else "proposals.notified.no_push", name=proposer)
    if decided.comment_only:
        return ctx.reply("proposals.comment_updated", id=record_id, noun=noun,
                         what=ctx.t(f"proposals.what.{decision.name}"), said=decided.said,
                         notified=notified)
    return ctx.reply("proposals.decided", id=record_id, noun=noun, status=target,
                     said=_said(ctx.words, decision, decided.said), notified=notified)


@router.command("采纳", aliases=("accept",), takes_args=True, roles=(ROLE_LEADER,),
                summary="cmd.accept.summary", usage="cmd.accept.usage")
async def on_accept(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, ACCEPT)


@router.command("不采纳", aliases=("reject", "驳回"), takes_args=True, roles=(ROLE_LEADER,),
                summary="cmd.reject.summary", usage="cmd.reject.usage")
async def on_reject(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, REJECT)


@router.command("实施", aliases=("implemented", "已实施"), takes_args=True, roles=(ROLE_LEADER,),
                summary="cmd.implemented.summary", usage="cmd.implemented.usage")
async def on_implemented(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, IMPLEMENT)


@router.command("认定", aliases=("verify",), takes_args=True, roles=(ROLE_LEADER,),
                summary="cmd.verify.summary", usage="cmd.verify.usage")
async def on_verify(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, VERIFY)


@router.command("退回", aliases=("return",), takes_args=True, roles=(ROLE_LEADER,),
                summary="cmd.return.summary", usage="cmd.return.usage")
async def on_return(msg: Incoming, ctx: Ctx) -> Reply:
    return await _decide(ctx, RETURN)

