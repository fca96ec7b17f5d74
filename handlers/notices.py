"""通知: a leader's announcement to the whole studio, or an admin's to every leader or member
of the union, sent after a confirm step; 通知 alone shows how the latest ones were
delivered, 通知 未送达 who cannot receive them. The rules are domain.notices'."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Ctx, Incoming
from bot.dialogs import Step, dialog, end, stay
from bot.replies import Reply, Text, fit_lines
from bot.routing import Router
from domain import TooLong
from domain.notices import MAX_CHARS, NoAudience, PostedNotice, post_notice
from handlers.common import push_state
from handlers.parsing import is_yes, says
from locales import formats, pushes
from storage.models import ROLE_ADMIN, ROLE_LEADER
from storage.queries.members import union_name
from storage.queries.notices import (
    audience_of,
    recent_notices,
    studio_audience,
    unreachable_in_studio,
)

router = Router("notices")

# How much of a notice the status list repeats.
SNIPPET = 20
# A template message's thing field holds 20 characters.


@dataclass
class NoticeDraft:
    """The notice waiting for its 确认 (`content` is the field stored before; a draft
    stored without an audience is a leader's, to the studio)."""

    content: str
    audience: str = "studio"  # storage.models.NOTICE_AUDIENCES


# Whom an admin's notice goes to, as its first word says (catalog lists).
_TO_LEADERS = "input.notice.leaders"
_TO_MEMBERS = "input.notice.members"
# 通知 未送达: who cannot receive the studio's notices.
_UNREACHABLE = "input.notice.unreachable"


NOTICE = dialog(router, "notices", NoticeDraft, states=("confirm",), entry=("notice",))


def _nobody(ctx: Ctx, unbound: int, unfollowed: int) -> Reply:
    why = [ctx.t("notices.why.unbound", n=unbound)] if unbound else []
    if unfollowed:
        why.append(ctx.t("notices.why.unfollowed", n=unfollowed))
    if not why:
        return ctx.reply("notices.nobody")
    return ctx.reply("notices.nobody_because", why=formats.join(ctx.words, why))


@router.command("通知", aliases=("notice",), takes_args=True, roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.notice.summary", usage="cmd.notice.usage")
async def on_notice(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    content = ctx.args.strip()
    if member.role == ROLE_ADMIN:
        return await _union_notice(ctx, content)
    assert member.studio_id is not None
    if not content:
        return await _status(ctx, member.studio_id)
    if says(content, _UNREACHABLE):
        return await _unreachable(ctx, member.studio_id)
    if len(content) > MAX_CHARS:
        return ctx.reply("notices.too_long", limit=MAX_CHARS, chars=len(content))
    audience = await studio_audience(ctx.session, member.studio_id, member.id)
    if not audience.reachable:
        return _nobody(ctx, audience.unbound, audience.unfollowed)
    NOTICE.enter(ctx, "confirm", NoticeDraft(content=content))
    skipped = audience.unbound + audience.unfollowed
    if skipped:
        return ctx.reply("notices.ask_confirm_skipping", n=len(audience.reachable),
                         skipped=skipped, content=content)
    return ctx.reply("notices.ask_confirm", n=len(audience.reachable), content=content)


async def _union_notice(ctx: Ctx, content: str) -> Reply:
    """An admin's 通知 领衔人 <内容> / 通知 全体 <内容>; 通知 alone: how the union's went."""
    member = ctx.member
    assert member is not None
    if not content:
        return await _status(ctx, None)
    head, _, body = content.partition(" ")
    audience = ("leaders" if says(head, _TO_LEADERS)
                else "members" if says(head, _TO_MEMBERS) else None)
    body = body.strip()
    if audience is None or not body:
        return ctx.reply("notices.union_usage")
    if len(body) > MAX_CHARS:
        return ctx.reply("notices.too_long", limit=MAX_CHARS, chars=len(body))
    reach = await audience_of(ctx.session, audience, None, member.id)
    if not reach.reachable:
        return _nobody(ctx, reach.unbound, reach.unfollowed)
    NOTICE.enter(ctx, "confirm", NoticeDraft(content=body, audience=audience))
    return ctx.reply(f"notices.ask_confirm_union.{audience}", n=len(reach.reachable),
                     skipped=reach.unbound + reach.unfollowed, content=body)


async def _unreachable(ctx: Ctx, studio_id: int) -> Reply:
    """通知 未送达: who in the studio a notice cannot reach, and why, by name."""
    member = ctx.member
    assert member is not None
    missing = await unreachable_in_studio(ctx.session, studio_id, member.id)
    if not missing.unbound and not missing.unfollowed:
        return ctx.reply("notices.all_reachable")
    lines = [ctx.t("notices.unreachable_header")]
    if missing.unbound:
        lines.append(ctx.t("notices.unreachable.unbound", n=len(missing.unbound),
                           names=formats.join(ctx.words, missing.unbound)))
    if missing.unfollowed:
        lines.append(ctx.t("notices.unreachable.unfollowed", n=len(missing.unfollowed),
                           names=formats.join(ctx.words, missing.unfollowed)))
    lines.append(ctx.t("notices.unreachable_hint"))
    return Text(fit_lines(lines, ctx.t("notices.more")))


@NOTICE.step("confirm")
async def on_confirm(msg: Incoming, ctx: Ctx, data: NoticeDraft) -> Step:
    member = ctx.member
    assert member is not None
    if not is_yes(msg.text or ""):
        return stay(ctx.reply("notices.not_confirmed"))
    union = data.audience != "studio"
    # The sender's role or studio may have changed since the draft: a union notice is an
    # admin's, a studio notice needs the studio it was written for.
    if (union and member.role != ROLE_ADMIN) or (not union and member.studio_id is None):
        return end(ctx.reply("notices.no_longer_yours"))
    day = ctx.now.astimezone(ctx.settings.tz).date().isoformat()
    # Who the notice is from, in its heading: the studio, or the union by its name.
    sender = (await union_name(ctx.session) or "") if union else (member.studio_name or "")

    def word(choice: str | None, notice: PostedNotice) -> tuple[str, dict[str, str] | None]:
        return pushes.notice(choice, content=notice.content, author=member.name, sender=sender,
                             at=day)

    try:
        posted = await post_notice(ctx.session, studio_id=None if union else member.studio_id,
                                   author_id=member.id, content=data.content, now=ctx.now,
                                   word=word, audience=data.audience)
    except NoAudience as nobody:
        return end(_nobody(ctx, nobody.unbound, nobody.unfollowed))
    except TooLong as refused:
        return end(ctx.reply("notices.too_long", **refused.facts))
    return end(ctx.reply(f"notices.queued.{push_state(ctx)}", id=posted.notice_id,
                         n=posted.recipients))


async def _status(ctx: Ctx, studio_id: int | None) -> Reply:
    """How the latest notices went: the studio's, or (None) the union's."""
    notices = await recent_notices(ctx.session, studio_id)
    if not notices:
        return ctx.reply("notices.none")
    lines = [ctx.t("notices.status_header")]
    line = f"notices.status_line.{push_state(ctx)}"
    for n in notices:
        day = n.created_at.astimezone(ctx.settings.tz).date()
        snippet = n.content if len(n.content) <= SNIPPET else \
            n.content[:SNIPPET] + ctx.t("common.ellipsis")
        lines.append(ctx.t(line, id=n.id, day=formats.month_day(ctx.words, day), snippet=snippet,
                           n=n.recipients, delivered=n.delivered, failed=n.failed,
                           waiting=n.waiting))
    if not ctx.settings.can_push:
        lines.append(ctx.t("notices.not_sending"))
    return Text(fit_lines(lines, ctx.t("notices.more")))
