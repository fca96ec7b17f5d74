"""通知: a leader's announcement to the whole studio, sent after a confirm step; 通知 alone
shows how the latest ones were delivered. The rules are domain.notices'."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Ctx, Incoming
from bot.dialogs import Step, dialog, end, stay
from bot.replies import Reply, Text, clip_text, fit_lines
from bot.routing import Router
from domain.notices import MAX_CHARS, NoAudience, PostedNotice, TooLong, post_notice
from handlers.common import push_state
from handlers.parsing import is_yes
from locales import PUSH_LIMIT, TEMPLATE_FIELD_LIMIT, Words, compose, formats, words_for
from storage.models import ROLE_LEADER
from storage.queries.notices import recent_notices, studio_audience
from storage.queries.sender import MemberView

router = Router("notices")

# How much of a notice the status list repeats.
SNIPPET = 20
# A template message's thing field holds 20 characters.


@dataclass
class NoticeDraft:
    """The notice waiting for the leader's 确认 (the field name is the one stored before)."""

    content: str


NOTICE = dialog(router, "notices", NoticeDraft, states=("confirm",), entry=("notice",))


def _nobody(ctx: Ctx, unbound: int, unfollowed: int) -> Reply:
    why = [ctx.t("notices.why.unbound", n=unbound)] if unbound else []
    if unfollowed:
        why.append(ctx.t("notices.why.unfollowed", n=unfollowed))
    if not why:
        return ctx.reply("notices.nobody")
    return ctx.reply("notices.nobody_because", why=formats.join(ctx.words, why))


@router.command("通知", aliases=("notice",), takes_args=True, roles=(ROLE_LEADER,),
                summary="cmd.notice.summary", usage="cmd.notice.usage")
async def on_notice(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    content = ctx.args.strip()
    if not content:
        return await _status(ctx)
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


@NOTICE.step("confirm")
async def on_confirm(msg: Incoming, ctx: Ctx, data: NoticeDraft) -> Step:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    if not is_yes(msg.text or ""):
        return stay(ctx.reply("notices.not_confirmed"))
    day = ctx.now.astimezone(ctx.settings.tz).date().isoformat()

    def word(choice: str | None, notice: PostedNotice) -> tuple[str, dict[str, str] | None]:
        return _copy(choice, notice, member, day)

    try:
        posted = await post_notice(ctx.session, studio_id=member.studio_id, author_id=member.id,
                                   content=data.content, now=ctx.now, word=word)
    except NoAudience as nobody:
        return end(_nobody(ctx, nobody.unbound, nobody.unfollowed))
    except TooLong as refused:
        return end(ctx.reply("notices.too_long", **refused.facts))
    return end(ctx.reply(f"notices.queued.{push_state(ctx)}", id=posted.notice_id,
                         n=posted.recipients))


def _copy(choice: str | None, notice: PostedNotice, leader: MemberView,
          day: str) -> tuple[str, dict[str, str] | None]:
    """One member's copy of the notice in their language: the text, and the template
    fields for when only a template message can reach them."""

    def build(w: Words) -> str:
        return w("push.notice.text", studio=leader.studio_name or w("push.notice.studio_fallback"),
                 content=notice.content, leader=leader.name)

    # A template field holds one language: the first of a bilingual choice.
    thing = words_for(choice)("push.notice.thing1", studio=leader.studio_name or "")
    fields = {"thing1": thing[:TEMPLATE_FIELD_LIMIT], "time2": day}
    languages = words_for(choice).each()
    if len(languages) == 1:
        return compose(choice, build), fields
    # Bilingual: the heading in each language, the leader's own words once (they are in
    # whatever language the leader wrote; twice would halve what fits).
    headings = [w("push.notice.heading", leader=leader.name,
                  studio=leader.studio_name or w("push.notice.studio_fallback"))
                for w in languages]
    heading = "\n".join(headings)
    # The leader's text gets what room the headings leave (it can reach MAX_CHARS characters
    # of three bytes each): cut on a character, marked, never over the push limit.
    room = PUSH_LIMIT - len(heading.encode("utf-8")) - 1
    return heading + "\n" + clip_text(notice.content, room), fields


async def _status(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    notices = await recent_notices(ctx.session, member.studio_id)
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
