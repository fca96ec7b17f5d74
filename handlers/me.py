"""我的: who I am here, and my mentorship circle."""

from __future__ import annotations

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text
from bot.routing import Router
from domain.report_links import LinkBook
from domain.weekly_logs import current_streak, log_for_week, this_week
from handlers.common import role_name
from handlers.weekly_logs import submitted_at
from locales.formats import hours, join
from storage.calendar import quarter_start
from storage.models import PAGE_ME, ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.mentorship import checkin_stats
from storage.queries.proposals import achievement_counts, suggestion_counts
from storage.queries.studios import mentorship_circle
from storage.queries.weekly_logs import LOG_WRITERS

router = Router("me")


@router.command("我的", aliases=("me",), roles=(ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.me.summary", usage="cmd.me.usage", writes=False)
async def on_me(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None  # the router lets only bound users through
    local = ctx.now.astimezone(ctx.settings.tz)
    role = role_name(ctx, member.role)
    # A union admin belongs to no studio: no 工作室 line, their role says where they sit.
    lines = [ctx.t("me.header", name=member.name, employee_no=member.employee_no,
                   studio=member.studio_name, role=role) if member.studio_name is not None
             else ctx.t("me.header_union", name=member.name, employee_no=member.employee_no,
                        role=role)]
    circle = await mentorship_circle(ctx.session, member.id)
    if circle.mentors:
        lines.append(ctx.t("me.mentors", names=join(ctx.words, circle.mentors)))
    if circle.apprentices:
        lines.append(ctx.t("me.apprentices", names=join(ctx.words, circle.apprentices)))
    if not circle.mentors and not circle.apprentices and member.role != ROLE_ADMIN:
        lines.append(ctx.t("me.no_pair"))
    if member.role in LOG_WRITERS:
        week = this_week(local)
        log = await log_for_week(ctx.session, member.id, week)
        if log is None:
            lines.append(ctx.t("me.week_open"))
        else:
            when = submitted_at(ctx.words, log.submitted_at.astimezone(ctx.settings.tz))
            lines.append(ctx.t("me.week_done", when=when))
        lines.append(ctx.t("me.streak", n=await current_streak(ctx.session, member.id, week)))
    if circle.mentors or circle.apprentices:
        stats = await checkin_stats(ctx.session, member.id, quarter_start(local.date()))
        lines.append(ctx.t("me.checkins", count=stats.count, hours=hours(ctx.words, stats.hours),
                           confirmed=stats.confirmed))
    if member.studio_id is not None and member.role in LOG_WRITERS:
        lines += await _proposals(ctx, member.id, member.studio_id, member.role == ROLE_LEADER)
        # My own page: this quarter's logs, check-ins with the mentor's comments, and what
        # became of my suggestions and results. The same link again while it lasts.
        book = LinkBook.of(ctx.settings)
        link = await book.issue(ctx.session, member.id, PAGE_ME, "me", ctx.now)
        lines.append(ctx.t("me.link", url=book.page_url(link, "")))
    return Text("\n".join(lines))


async def _proposals(ctx: Ctx, member_id: int, studio_id: int, leader: bool) -> list[str]:
    mine = await suggestion_counts(ctx.session, member_id=member_id)
    results = await achievement_counts(ctx.session, member_id=member_id)
    lines = [
        ctx.t("me.suggestions", total=sum(mine.values()), accepted=mine.get("accepted", 0),
              implemented=mine.get("implemented", 0), pending=mine.get("submitted", 0)),
        ctx.t("me.results", total=sum(results.values()), verified=results.get("verified", 0),
              pending=results.get("reported", 0)),
    ]
    if leader:
        studio_suggestions = await suggestion_counts(ctx.session, studio_id=studio_id)
        studio_results = await achievement_counts(ctx.session, studio_id=studio_id)
        lines.append(ctx.t("me.to_review", suggestions=studio_suggestions.get("submitted", 0),
                           results=studio_results.get("reported", 0)))
    return lines
