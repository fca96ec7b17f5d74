"""评星 (a studio's provisional score and the shortest way to its next star), 申报 (the
application dialog: a self-assessment per manual item, with evidence text and photos) and
异议 (an objection during 公示). The rules are domain.rating's; this module words them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.context import Ctx, Incoming
from bot.dialogs import TEXT, Step, dialog, end, goto, stay
from bot.replies import MAX_TEXT_BYTES, Reply, Text, fit_lines
from bot.routing import Router
from domain import DomainError, NotFound, TooLong
from domain.rating import (
    MAX_PICTURES,
    AlreadyApplied,
    Ambiguous,
    ApplicationForm,
    NoRound,
    NoRubric,
    OverPoints,
    PastDeadline,
    SelfAssessment,
    application_form,
    apply,
    check_evidence,
    check_self,
    manual_items,
    object_to,
    round_under_way,
    standing,
)
from domain.rating_words import number, standing_text, when
from domain.rubric import Item
from handlers import faq
from handlers.parsing import Typed, bounded, is_done, is_skip, is_yes, says
from locales import numerals
from locales.formats import join
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.studios import studios_called

router = Router("rating")

_NEXT = "input.rating.next"  # 下一项: on to the next item of the application
_POINTS = "input.rating.points"  # 分: the unit after a self-assessed score
# Characters of a studio name or a typed text repeated in a reply.
_ECHO = 40


# -- 评星 ------------------------------------------------------------------------------


async def _studio_named(ctx: Ctx, text: str) -> tuple[int | None, Reply | None]:
    """The studio an admin names: (its id, None), or (None, the reply saying why not)."""
    found = await studios_called(ctx.session, text)
    if not found:
        return None, ctx.reply("rating.standing.no_studio", text=text[:_ECHO])
    if len(found) > 1:
        return None, ctx.reply("rating.standing.which", text=text[:_ECHO],
                               studios=join(ctx.words, [s.name for s in found[:10]]))
    return found[0].id, None


@router.command("评星", aliases=("stars", "rating"), takes_args=True,
                roles=(ROLE_LEADER, ROLE_ADMIN), summary="cmd.stars.summary",
                usage="cmd.stars.usage")
async def on_stars(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    args = ctx.args.strip()
    if member.role == ROLE_ADMIN:
        if not args:
            return ctx.reply("rating.standing.name_a_studio")
        studio_id, refused = await _studio_named(ctx, args)
        if studio_id is None:
            assert refused is not None
            return refused
    else:
        if member.studio_id is None:
            return ctx.reply("rating.standing.no_own_studio")
        if args and (member.studio_name or "") not in {s.name for s in
                                                       await studios_called(ctx.session, args)}:
            # 评星级交什么材料: a question that starts like the command, for the FAQ.
            answered = await faq.answer_question(msg, ctx, (msg.text or "").strip())
            if answered is not None:
                return answered
        studio_id = member.studio_id
    try:
        found = await standing(ctx.session, studio_id, now=ctx.now, tz=ctx.settings.tz)
    except NoRubric:
        return ctx.reply("rating.no_rubric")
    return Text(standing_text(ctx.words, found, MAX_TEXT_BYTES))


# -- 申报 ------------------------------------------------------------------------------


@dataclass
class ApplyDraft:
    """An application being written: the round, its manual items (编号) in order, where the
    leader is, and an answer per item done so far (points, evidence parts, photos)."""

    round_id: int
    codes: list[str]
    index: int = 0
    answers: list[dict[str, Any]] = field(default_factory=list)

    def current(self) -> dict[str, Any]:
        while len(self.answers) <= self.index:
            self.answers.append({"points": None, "evidence": [], "pictures": []})
        return self.answers[self.index]

    def assessments(self) -> list[SelfAssessment]:
        return [SelfAssessment(code, a.get("points"), "\n".join(a.get("evidence", [])) or None,
                               tuple((p.get("media_id"), p.get("pic_url"))
                                     for p in a.get("pictures", [])))
                for code, a in zip(self.codes, self.answers, strict=False)]


APPLY = dialog(router, "rating", ApplyDraft, states=("item", "confirm"), entry=("apply",))


async def _open_for_applications(ctx: Ctx) -> bool:
    """申报 is listed in 帮助 while a round takes applications."""
    found = await round_under_way(ctx.session)
    return found is not None and found.takes_applications(
        ctx.now.astimezone(ctx.settings.tz).date())


def _when(ctx: Ctx, moment: datetime) -> str:
    return when(ctx.words, ctx.settings.tz, moment)


def _refusal(ctx: Ctx, error: DomainError) -> Reply:
    """The words for a refused 申报 (a rule of domain.rating's)."""
    if isinstance(error, PastDeadline):
        return ctx.reply("rating.apply.past_deadline", round=error.facts["round"],
                         deadline=str(error.facts["deadline"]))
    if isinstance(error, AlreadyApplied):
        submitted = error.facts["submitted_at"]
        assert isinstance(submitted, datetime)
        return ctx.reply("rating.apply.already", round=error.facts["round"],
                         id=error.facts["application_id"], when=_when(ctx, submitted))
    if isinstance(error, NoRound):
        return ctx.reply("rating.apply.no_round")
    if isinstance(error, OverPoints):
        most = error.facts["most"]
        assert isinstance(most, float)
        return ctx.reply("rating.apply.over_points", most=number(most))
    if isinstance(error, TooLong):
        return ctx.reply("rating.apply.too_long", **error.facts)
    return ctx.reply("rating.apply.round_changed")


def _item_prompt(ctx: Ctx, form_items: dict[str, Item], draft: ApplyDraft) -> str:
    item = form_items[draft.codes[draft.index]]
    criteria = ctx.t("rating.apply.criteria", text=item.criteria) if item.criteria else ""
    return ctx.t("rating.apply.item", i=draft.index + 1, n=len(draft.codes), code=item.code,
                 title=item.title, points=number(item.points), criteria=criteria)


@router.command("申报", aliases=("apply",), roles=(ROLE_LEADER,), summary="cmd.apply.summary",
                usage="cmd.apply.usage", available=_open_for_applications)
async def on_apply(msg: Incoming, ctx: Ctx) -> Reply:
    assert ctx.member is not None
    try:
        form = await application_form(ctx.session, ctx.member, now=ctx.now, tz=ctx.settings.tz)
    except (NoRound, PastDeadline, AlreadyApplied) as refused:
        return _refusal(ctx, refused)
    draft = ApplyDraft(round_id=form.round.id, codes=[i.code for i in form.manual])
    intro = _intro(ctx, form)
    if not draft.codes:
        APPLY.enter(ctx, "confirm", draft)
        return Text(intro + "\n" + await _summary(ctx, form_items={}, draft=draft))
    APPLY.enter(ctx, "item", draft)
    return Text(intro + "\n" + _item_prompt(ctx, {i.code: i for i in form.manual}, draft))


def _intro(ctx: Ctx, form: ApplicationForm) -> str:
    r = form.round
    return ctx.t("rating.apply.intro", round=r.name, studio=form.studio,
                 start=r.period_start.isoformat(), end=r.period_end.isoformat(),
                 deadline=r.deadline.isoformat(), automatic=number(form.automatic),
                 auto_points=number(form.rubric.automatic_points), n=len(form.manual))


@functools.cache
def _score_pattern() -> re.Pattern[str]:
    """A self-assessed score at the start of a text, in digits or numerals, maybe with its
    unit (5, 4.5分, 五分), then a separator or the end."""
    return re.compile(rf"^\s*(\d+(?:\.\d+)?|{numerals.PATTERN})\s*(?:{bounded(_POINTS)})?"
                      r"(?=$|[\s,.:;!?、。，；：])[\s,.:;!?、。，；：]*")


def self_score(text: str) -> tuple[float | None, str]:
    """(the score a text starts with, the rest as typed); (None, text) when it has none."""
    typed = Typed(text)
    found = _score_pattern().match(typed.norm)
    if found is None:
        return None, text.strip()
    figure = found.group(1)
    value = float(figure) if figure[:1].isdigit() else numerals.value_of(figure)
    if value is None:
        return None, text.strip()
    return value, typed.text[typed.at(found.end()):].strip()


def _noted(ctx: Ctx, answer: dict[str, Any]) -> str:
    points = answer.get("points")
    said = (ctx.t("rating.apply.points", points=number(points)) if points is not None
            else ctx.t("rating.apply.no_points"))
    return ctx.t("rating.apply.noted", points=said,
                 chars=len("\n".join(answer.get("evidence", []))),
                 pics=len(answer.get("pictures", [])))


async def _advance(ctx: Ctx, items: dict[str, Item], draft: ApplyDraft) -> Step:
    draft.index += 1
    if draft.index < len(draft.codes):
        return goto("item", Text(_item_prompt(ctx, items, draft)))
    return goto("confirm", Text(await _summary(ctx, items, draft)))


async def _summary(ctx: Ctx, form_items: dict[str, Item], draft: ApplyDraft) -> str:
    lines = []
    total = 0.0
    pictures = 0
    for code, answer in zip(draft.codes, draft.answers, strict=False):
        item = form_items.get(code)
        points = answer.get("points")
        total += points or 0.0
        pictures += len(answer.get("pictures", []))
        said = (ctx.t("rating.apply.points", points=number(points)) if points is not None
                else ctx.t("rating.apply.no_points"))
        lines.append(ctx.t("rating.apply.summary_line", code=code,
                           title=item.title if item else "", points=said,
                           pics=len(answer.get("pictures", []))))
    manual = sum(i.points for i in form_items.values())
    head = ctx.t("rating.apply.summary", self=number(total), manual=number(manual),
                 pics=pictures)
    tail = ctx.t("rating.apply.ask_confirm")
    room = MAX_TEXT_BYTES - len(tail.encode("utf-8")) - 1
    return fit_lines([head, *lines], ctx.t("rating.apply.summary_more"), room) + "\n" + tail


@APPLY.step("item", kind=TEXT)
async def on_item(msg: Incoming, ctx: Ctx, draft: ApplyDraft) -> Step:
    items = await manual_items(ctx.session, draft.round_id)
    if items is None or any(code not in items for code in draft.codes):
        return end(ctx.reply("rating.apply.round_changed"))
    item = items[draft.codes[draft.index]]
    answer = draft.current()
    if msg.msg_type == "image":
        if len(answer["pictures"]) >= MAX_PICTURES:
            return stay(ctx.reply("rating.apply.too_many_pictures", limit=MAX_PICTURES))
        answer["pictures"].append({"media_id": msg.media_id, "pic_url": msg.pic_url})
        return goto("item", ctx.reply("rating.apply.picture_noted",
                                      pics=len(answer["pictures"])))
    if msg.text is None:
        return stay(ctx.reply("rating.apply.only_text_and_pictures"))
    text = msg.text.strip()
    if says(text, _NEXT) or is_done(text):
        if answer["points"] is None:
            return stay(ctx.reply("rating.apply.need_points", points=number(item.points)))
        return await _advance(ctx, items, draft)
    if is_skip(text):
        return await _advance(ctx, items, draft)
    points, evidence = self_score(text)
    try:
        if points is not None:
            check_self(item, points)
        check_evidence("\n".join([*answer["evidence"], evidence]))
    except (OverPoints, TooLong) as refused:
        return stay(_refusal(ctx, refused))
    if points is not None:
        answer["points"] = points
    if evidence:
        answer["evidence"].append(evidence)
    return goto("item", Text(_noted(ctx, answer)))


@APPLY.step("confirm")
async def on_confirm(msg: Incoming, ctx: Ctx, draft: ApplyDraft) -> Step:
    if not is_yes(msg.text or ""):
        return stay(ctx.reply("rating.apply.not_confirmed"))
    assert ctx.member is not None
    try:
        saved = await apply(ctx.session, ctx.member, round_id=draft.round_id,
                            answers=draft.assessments(), now=ctx.now, tz=ctx.settings.tz)
    except (NoRound, PastDeadline, AlreadyApplied, OverPoints, TooLong) as refused:
        return end(_refusal(ctx, refused))
    except DomainError:  # the round changed under the dialog
        return end(ctx.reply("rating.apply.round_changed"))
    return end(ctx.reply("rating.apply.submitted", round=saved.round.name, id=saved.id,
                         automatic=number(saved.automatic), self=number(saved.self_total),
                         pics=saved.pictures))


# -- 异议 ------------------------------------------------------------------------------


async def _in_publicity(ctx: Ctx) -> bool:
    """异议 is listed in 帮助 while a round's 公示 takes objections."""
    found = await round_under_way(ctx.session)
    return found is not None and found.in_publicity(ctx.now)


@router.command("异议", aliases=("object", "objection"), takes_args=True,
                roles=(ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN), summary="cmd.object.summary",
                usage="cmd.object.usage", available=_in_publicity)
async def on_object(msg: Incoming, ctx: Ctx) -> Reply:
    assert ctx.member is not None
    parts = ctx.args.split(maxsplit=1)
    if len(parts) < 2:
        return ctx.reply("rating.objection.usage")
    studio, content = parts
    try:
        saved = await object_to(ctx.session, ctx.member, studio=studio, content=content,
                                now=ctx.now)
    except NoRound:
        return ctx.reply("rating.objection.no_publicity")
    except Ambiguous as refused:
        names = refused.facts["studios"]
        assert isinstance(names, list)
        return ctx.reply("rating.objection.ambiguous", text=studio[:_ECHO],
                         studios=join(ctx.words, names[:10]))
    except NotFound as refused:
        if refused.code == "not_listed":
            return ctx.reply("rating.objection.not_listed", studio=refused.facts["studio"])
        return ctx.reply("rating.objection.no_studio", text=studio[:_ECHO])
    except TooLong as refused:
        return ctx.reply("rating.objection.too_long", **refused.facts)
    except DomainError:
        return ctx.reply("rating.objection.usage")
    return ctx.reply("rating.objection.saved", studio=saved.studio, id=saved.id,
                     round=saved.round)
