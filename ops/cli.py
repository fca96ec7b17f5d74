"""The `workshop-bot` command (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings

# Heavy imports (aiohttp, SQLAlchemy, wechatpy) stay inside the commands so that
# `workshop-bot --help` answers at once.

from storage.codes import OUTBOX_STATES

log = logging.getLogger("workshop_bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workshop-bot",
        description="创新工作室助手 — WeChat Official Account back end for innovation studios",
    )
    parser.add_argument("--config", metavar="FILE.toml", help="read settings from a TOML file")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port (default WORKSHOP_BOT_PORT or 8080)")
    serve.add_argument("--no-scheduler", action="store_true",
                       help="do not run scheduled jobs in this process (it still sends the outbox)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="N processes sharing the port (SO_REUSEPORT); one runs the jobs at a "
                            "time (for PostgreSQL, with REDIS_URL for the access token)")
    # One of the processes `--workers N` started (it shares the port, writes no serve.url).
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="create or migrate the database to the latest schema")
    backup = db_sub.add_parser("backup", help="an online, consistent copy of the SQLite database "
                               "(PostgreSQL: prints the pg_dump recipe)")
    backup.add_argument("file", type=Path, metavar="FILE")

    sub.add_parser("doctor", help="check the configuration, database, Redis, WeChat credentials, "
                   "templates, calendar and var folder; exit 0 only when all pass")

    outbox = sub.add_parser("outbox", help="pushes waiting, sent and failed: counts, list, retry, drop")
    out_sub = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    listing = out_sub.add_parser("list", help="the rows, newest first")
    listing.add_argument("--state", choices=OUTBOX_STATES)
    listing.add_argument("--kind", metavar="KIND", help="e.g. weekly-log-reminder, notice")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    retry = out_sub.add_parser("retry", help="send a failed or undeliverable row again")
    retry.add_argument("id", nargs="?", type=int, metavar="ID")
    retry.add_argument("--failed", action="store_true", help="every failed row")
    drop = out_sub.add_parser("drop", help="never send this row")
    drop.add_argument("id", type=int, metavar="ID")

    chat = sub.add_parser("chat", help="talk to the running service as WeChat would")
    chat.add_argument("--url", help="the service's /wechat URL (default: local port)")
    chat.add_argument("--openid", help="the openid to speak as (default: this console's own)")
    chat.add_argument("--as", dest="as_employee", metavar="EMPLOYEE_NO",
                      help="bind the console to this member first, with a fresh invite code")

    roster = sub.add_parser("import-roster", help="import studios and members (CSV or XLSX)")
    roster.add_argument("file", type=Path, metavar="FILE")

    faq = sub.add_parser("faq", help="the union's policy FAQ: import, list, export, test, "
                         "synonyms, stats")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True, metavar="ACTION")
    faq_import = faq_sub.add_parser("import", help="replace the FAQ with a file (CSV or XLSX): "
                                    "questions missing from it are retired")
    faq_import.add_argument("file", type=Path, metavar="FILE")
    faq_sub.add_parser("list", help="the entries in use")
    faq_export = faq_sub.add_parser("export", help="the entries as a file faq import reads")
    faq_export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    faq_export.add_argument("-o", "--output", metavar="FILE", help="default: stdout (csv)")
    faq_test = faq_sub.add_parser("test", help="the three best entries for a question, scored")
    faq_test.add_argument("question", metavar="QUESTION")
    faq_syn = faq_sub.add_parser("synonyms", help="replace the synonym table with a file of "
                                 "lines like 补贴=补助=经费")
    faq_syn.add_argument("file", type=Path, metavar="FILE")
    faq_stats = faq_sub.add_parser("stats", help="this month's unanswered questions, most "
                                   "asked first")
    faq_stats.add_argument("--limit", type=int, default=20, metavar="N")

    questions = sub.add_parser("questions", help="members' 留言: list, answer (pushed to the "
                               "member), promote into the FAQ")
    q_sub = questions.add_subparsers(dest="questions_command", required=True, metavar="ACTION")
    q_list = q_sub.add_parser("list", help="every question, oldest first")
    q_list.add_argument("--open", action="store_true", help="only those still unanswered")
    q_answer = q_sub.add_parser("answer", help="answer a question; the member is told")
    q_answer.add_argument("id", type=int, metavar="ID")
    q_answer.add_argument("text", nargs="+", metavar="TEXT")
    q_promote = q_sub.add_parser("promote", help="make an answered question an FAQ entry")
    q_promote.add_argument("id", type=int, metavar="ID")
    q_promote.add_argument("--as", dest="as_question", metavar="QUESTION",
                           help="the entry's question (default: the member's wording, "
                                "otherwise kept as a variant)")

    inv = sub.add_parser("invite", help="issue a fresh invite code (printed as the last line)")
    inv.add_argument("employee_no", nargs="?", metavar="EMPLOYEE_NO")
    inv.add_argument("--qr", action="store_true",
                     help="also create a scan-to-bind QR code through the WeChat API")
    inv.add_argument("--studio", metavar="NAME",
                     help="codes for the unbound members of a studio (its name or a distinctive "
                          "part of it), as CSV slips")
    inv.add_argument("--reissue", action="store_true",
                     help="with --studio: also void and replace codes already handed out "
                          "(printed slips stop working)")
    slips = inv.add_mutually_exclusive_group()
    slips.add_argument("-o", "--output", metavar="FILE",
                       help="with --studio: where to write the CSV (default: stdout)")
    slips.add_argument("--pdf", type=Path, metavar="FILE",
                       help="with --studio: printable A4 slips of every unbound member's working "
                            "code (codes handed out earlier are printed again), with scan-to-bind "
                            "QR codes when the WeChat credentials are set")
    inv.add_argument("--per-page", type=int, choices=[8, 10], default=8, metavar="8|10",
                     help="with --pdf: slips a page (default 8)")

    link = sub.add_parser("login-link", help="a one-time sign-in link to the web console for "
                          "an admin or a leader (printed as the last line)")
    link.add_argument("employee_no", metavar="EMPLOYEE_NO")

    sessions = sub.add_parser("sessions", help="web console sessions: list them, revoke one")
    sessions_sub = sessions.add_subparsers(dest="sessions_command", required=True,
                                           metavar="ACTION")
    sessions_listing = sessions_sub.add_parser("list", help="the sessions still open")
    sessions_listing.add_argument("--all", action="store_true",
                                  help="the latest hundred, ended ones too")
    sessions_revoke = sessions_sub.add_parser("revoke", help="end a session at once")
    sessions_revoke.add_argument("id", type=int, metavar="ID")

    jobs = sub.add_parser("jobs", help="scheduled jobs: list them, or run one now")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    listing_jobs = jobs_sub.add_parser("list", help="jobs, schedules, next and last runs")
    listing_jobs.add_argument("--now", metavar="ISO-8601",
                              help="next runs as seen at this time (default: now)")
    run = jobs_sub.add_parser("run", help="run a job at once and send what it queues")
    run.add_argument("name", metavar="NAME")
    run.add_argument("--now", metavar="ISO-8601", help="run as if at this time (default: now)")

    _rating_parser(sub)


    report = sub.add_parser("report", help="report pages: a studio's month as PDF, the links "
                                           "handed out, a past month's scores")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="ACTION")
    pdf = report_sub.add_parser("pdf", help="a studio's month on A4 with its charts (PDF)")
    pdf.add_argument("--studio", metavar="NAME", required=True,
                     help="the studio (its name or a distinctive part)")
    pdf.add_argument("--month", metavar="YYYY-MM", required=True)
    pdf.add_argument("-o", "--output", metavar="FILE",
                     help="where to write (default <studio>-<month>.pdf here)")
    links = report_sub.add_parser("links", help="the report links handed out: list, revoke")
    links_sub = links.add_subparsers(dest="links_command", required=True, metavar="ACTION")
    links_list = links_sub.add_parser("list", help="links that still work, newest first")
    links_list.add_argument("--member", metavar="EMPLOYEE_NO", help="only this member's")
    links_list.add_argument("--all", action="store_true",
                            help="expired and revoked ones too")
    links_list.add_argument("--limit", type=int, default=200)
    revoke = links_sub.add_parser("revoke", help="make a link (or all of a member's) stop working")
    revoke.add_argument("id", nargs="?", metavar="ID", help="the link's id (links list)")
    revoke.add_argument("--member", metavar="EMPLOYEE_NO", help="every link this member holds")
    scores = report_sub.add_parser("scores", help="record a past month's scores for the pages' "
                                                  "12-month lines (the monthly summary records "
                                                  "each month as it runs)")
    scores.add_argument("--month", metavar="YYYY-MM", required=True)

    exp = sub.add_parser("export", help="export records as CSV (with BOM) or XLSX")
    exp.add_argument("kind", metavar="KIND",
                     choices=["logs", "checkins", "suggestions", "results", "studios",
                              "studio-ledger"],
                     help="logs, checkins, suggestions, results, studios, or studio-ledger "
                          "(one XLSX workbook per studio for --month, into the folder -o)")
    exp.add_argument("--week", metavar="YYYY-Www", help="logs of one ISO week (default: this week)")
    exp.add_argument("--month", metavar="YYYY-MM",
                     help="logs of the weeks whose Thursday is in the month; check-ins, "
                          "suggestions and results dated in it")
    exp.add_argument("--studio", metavar="NAME",
                     help="studio-ledger: only this studio (its name or a distinctive part)")
    exp.add_argument("--unbound", action="store_true",
                     help="studios: the members who have not bound WeChat yet, one a row")
    exp.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    exp.add_argument("--headers", choices=["en", "zh"], default="en",
                     help="column names: en, machine-readable (default), or zh, in Chinese "
                          "for people (studio-ledger is always in the union's language)")
    exp.add_argument("-o", "--output", metavar="FILE",
                     help="output file; - or none: stdout (csv). studio-ledger: the folder "
                          "(default ledger-YYYY-MM)")
    return parser


def _rating_parser(sub: Any) -> None:
    """`workshop-bot rating …`: star rating (docs/operators.md#star-rating)."""
    rating = sub.add_parser("rating", help="star rating: the rubric, rounds, experts, scores, "
                            "公示, objections, the decision, funding")
    r_sub = rating.add_subparsers(dest="rating_command", required=True, metavar="ACTION")
    rubric = r_sub.add_parser("rubric", help="the union's rating rubric")
    rubric_sub = rubric.add_subparsers(dest="rubric_command", required=True, metavar="ACTION")
    rubric_import = rubric_sub.add_parser("import", help="a new version from a file (CSV or "
                                          "XLSX: 编号,类别,指标,分值,评分方式,评分标准)")
    rubric_import.add_argument("file", type=Path, metavar="FILE")
    rubric_show = rubric_sub.add_parser("show", help="the items and the stars' thresholds")
    rubric_show.add_argument("--version", type=int, metavar="N", help="default: the current one")

    rounds = r_sub.add_parser("round", help="rating rounds: open, experts, list, show, publish, "
                              "finalise")
    round_sub = rounds.add_subparsers(dest="round_command", required=True, metavar="ACTION")
    opened = round_sub.add_parser("open", help="open a round on the current rubric")
    opened.add_argument("name", metavar="NAME")
    opened.add_argument("--period-start", required=True, metavar="YYYY-MM-DD",
                        help="the first day the automatic items measure")
    opened.add_argument("--period-end", required=True, metavar="YYYY-MM-DD",
                        help="the last day they measure")
    opened.add_argument("--deadline", required=True, metavar="YYYY-MM-DD",
                        help="the last day leaders may apply (申报)")
    chosen = round_sub.add_parser("experts", help="give members the expert role for the round")
    chosen.add_argument("name", metavar="ROUND")
    chosen.add_argument("employee_nos", nargs="+", metavar="EMPLOYEE_NO")
    round_sub.add_parser("list", help="every round")
    shown = round_sub.add_parser("show", help="the applications: totals, experts' scores and "
                                 "spread, the stars proposed")
    shown.add_argument("name", metavar="ROUND")
    published = round_sub.add_parser("publish", help="publish the proposed list (公示) and push "
                                     "it to every leader")
    published.add_argument("name", metavar="ROUND")
    published.add_argument("--objection-days", type=int, required=True, metavar="N",
                           help="objections (异议) are taken for N days")
    published.add_argument("--all-members", action="store_true",
                           help="push the list to every member, not only the leaders")
    finalised = round_sub.add_parser("finalise", aliases=["finalize"],
                                     help="set the stars after the 公示; the leaders are told")
    finalised.add_argument("name", metavar="ROUND")
    exported = round_sub.add_parser("export", help="the score sheet and the 公示 list as XLSX")
    exported.add_argument("name", metavar="ROUND")
    exported.add_argument("-o", "--output", metavar="FILE.xlsx")

    scored = r_sub.add_parser("score", help="an expert's score of a manual item")
    scored.add_argument("round", metavar="ROUND")
    scored.add_argument("studio", metavar="STUDIO")
    scored.add_argument("item", metavar="ITEM", help="the item's 编号")
    scored.add_argument("points", type=float, metavar="POINTS")
    scored.add_argument("--expert", required=True, metavar="EMPLOYEE_NO")
    scored.add_argument("--comment", metavar="TEXT")
    objected = r_sub.add_parser("objections", help="the objections (异议) sent during a 公示")
    objected.add_argument("round", metavar="ROUND")
    funded = r_sub.add_parser("funding", help="record one-off funding granted to a rated studio")
    funded.add_argument("studio", metavar="STUDIO")
    funded.add_argument("amount", type=float, metavar="AMOUNT", help="in 万元")
    funded.add_argument("purpose", metavar="PURPOSE")
    funded.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    funded.add_argument("--round", metavar="ROUND", help="the round it rewards")
    starred = r_sub.add_parser("stars", help="set a studio's stars outside a round (the yearly "
                               "review: a demotion or removal), with the reason")
    starred.add_argument("studio", metavar="STUDIO")
    starred.add_argument("stars", type=int, choices=[0, 1, 2, 3], metavar="N")
    starred.add_argument("--reason", required=True, metavar="TEXT")
    history = r_sub.add_parser("history", help="the stars' history (from, to, round, score)")
    history.add_argument("studio", nargs="?", metavar="STUDIO")
    standing = r_sub.add_parser("standing", help="a studio's provisional score and the shortest "
                                "way up (what its leader's 评星 shows)")
    standing.add_argument("studio", metavar="STUDIO")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from ops import logs

    logs.configure(verbose=args.verbose)
    from bot.config import ConfigError, load_settings

    if args.command == "doctor":
        # The doctor reports a configuration that does not parse as one of its checks.
        from ops.doctor import doctor_main

        return doctor_main(args.config)
    try:
        settings = load_settings(args.config)
        if settings.workshop_bot_log_format != "text":
            logs.configure(settings.workshop_bot_log_format, verbose=args.verbose)
        if args.command == "serve" and args.workers < 1:
            print("workshop-bot serve: --workers must be 1 or more", file=sys.stderr)
            return 2
        if args.command == "serve" and args.workers > 1 and not args.worker:
            return _serve_workers(settings, args)
        if args.command == "serve":
            return _run_fast(_serve(settings, args.host, args.port,
                                    run_jobs=not args.no_scheduler, worker=args.worker))
        if args.command == "db" and args.db_command == "backup":
            from ops.backup import backup

            return backup(settings, args.file)
        if args.command == "db":
            return asyncio.run(_db_upgrade(settings))
        if args.command == "chat":
            from ops.chat import run_chat

            return asyncio.run(run_chat(settings, url=args.url, openid=args.openid,
                                        as_employee=args.as_employee))
        return asyncio.run(_admin(args, settings))
    except ConfigError as exc:
        print(f"workshop-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2


async def _admin(args: argparse.Namespace, settings: Settings) -> int:
    """The union office's commands; each needs the schema, so migrate the embedded DB."""
    from datetime import UTC, datetime

    from domain.tables import ExportError
    from ops import exports, invites, jobs, ledger, outbox, roster
    from ops.terminal import office_words_of

    if not await _migrate(settings, always=False):
        return 1
    now = datetime.now(UTC)
    try:
        if args.command == "import-roster":
            return await roster.import_roster(settings, args.file, now)
        if args.command == "faq":
            return await _faq(args, settings, now)
        if args.command == "questions":
            return await _questions(args, settings, now)
        if args.command == "rating":
            return await _rating(args, settings, now)
        if args.command == "invite":
            if args.studio:
                return await invites.invite_studio(settings, args.studio, now, args.output,
                                                   reissue=args.reissue, pdf=args.pdf,
                                                   per_page=args.per_page)
            if not args.employee_no:
                words = await office_words_of(settings)
                print(f"workshop-bot invite: {words('ops.invite.usage')}", file=sys.stderr)
                return 2
            return await invites.invite(settings, args.employee_no, now, qr=args.qr)
        if args.command in ("login-link", "sessions"):
            return await _console(args, settings, now)
        if args.command == "jobs":
            at = now
            if args.now:
                try:
                    at = jobs.parse_moment(args.now, settings.tz)
                except ValueError:
                    words = await office_words_of(settings)
                    print(f"workshop-bot jobs {args.jobs_command}: "
                          f"{words('ops.jobs.bad_now', value=args.now)}", file=sys.stderr)
                    return 2
            if args.jobs_command == "list":
                return await jobs.jobs_list(settings, at)
            return await jobs.jobs_run(settings, args.name, at)
        if args.command == "report":
            return await _report(args, settings, now)
        if args.command == "outbox":
            if args.outbox_command == "list":
                return await outbox.outbox_list(settings, state=args.state, kind=args.kind,
                                                limit=args.limit)
            if args.outbox_command == "retry":
                return await outbox.outbox_retry(settings, args.id, all_failed=args.failed)
            if args.outbox_command == "drop":
                return await outbox.outbox_drop(settings, args.id)
            return await outbox.outbox_summary(settings)
        if args.command == "export" and args.kind == "studio-ledger":
            return await ledger.export_ledger(settings, args.month, args.studio, args.output, now)
        if args.command == "export":
            return await exports.export(settings, args.kind, args.format, args.output, now,
                                        week=args.week, month=args.month, headers=args.headers,
                                        unbound=args.unbound)
    except ExportError as exc:
        words = await office_words_of(settings)
        print(f"workshop-bot {args.command}: {words(f'export.error.{exc.code}', **exc.facts)}",
              file=sys.stderr)
        return 2
    return 2


async def _rating(args: argparse.Namespace, settings: Settings, now: Any) -> int:
    from ops import rating

    command = args.rating_command
    if command == "rubric":
        if args.rubric_command == "import":
            return await rating.rubric_import(settings, args.file, now)
        return await rating.rubric_show(settings, args.version)
    if command == "round":
        action = args.round_command
        if action == "open":
            return await rating.round_open(settings, args.name, args.period_start,
                                           args.period_end, args.deadline, now)
        if action == "experts":
            return await rating.round_experts(settings, args.name, args.employee_nos, now)
        if action == "list":
            return await rating.round_list(settings)
        if action == "show":
            return await rating.round_show(settings, args.name)
        if action == "publish":
            return await rating.round_publish(settings, args.name, args.objection_days,
                                              args.all_members, now)
        if action == "export":
            return await rating.export_round(settings, args.name, args.output)
        return await rating.round_finalise(settings, args.name, now)
    if command == "score":
        return await rating.score(settings, args.round, args.studio, args.item, args.points,
                                  args.expert, args.comment, now)
    if command == "objections":
        return await rating.objections(settings, args.round)
    if command == "funding":
        return await rating.funding(settings, args.studio, args.amount, args.purpose, args.date,
                                    args.round, now)
    if command == "stars":
        return await rating.set_stars(settings, args.studio, args.stars, args.reason, now)
    if command == "history":
        return await rating.history(settings, args.studio)
    return await rating.show_standing(settings, args.studio, now)


async def _console(args: argparse.Namespace, settings: Settings, now: Any) -> int:
    from ops import console

    if args.command == "login-link":
        return await console.login_link(settings, args.employee_no, now)
    if args.sessions_command == "list":
        return await console.sessions_list(settings, now, everything=args.all)
    return await console.sessions_revoke(settings, args.id, now)


async def _report(args: argparse.Namespace, settings: Settings, now: Any) -> int:
    from ops import reports

    if args.report_command == "pdf":
        return await reports.report_pdf(settings, args.studio, args.month, args.output, now)
    if args.report_command == "scores":
        return await reports.record_month(settings, args.month, now)
    if args.links_command == "list":
        return await reports.links_list(settings, now, employee_no=args.member,
                                        include_ended=args.all, limit=args.limit)
    return await reports.links_revoke(settings, now, link_id=args.id, employee_no=args.member)


async def _questions(args: argparse.Namespace, settings: Settings, now: Any) -> int:
    from ops import questions

    if args.questions_command == "list":
        return await questions.questions_list(settings, open_only=args.open)
    if args.questions_command == "answer":
        return await questions.questions_answer(settings, args.id, " ".join(args.text), now)
    return await questions.questions_promote(settings, args.id, now, args.as_question)


async def _faq(args: argparse.Namespace, settings: Settings, now: Any) -> int:
    from ops import faq

    if args.faq_command == "import":
        return await faq.faq_import(settings, args.file, now)
    if args.faq_command == "list":
        return await faq.faq_list(settings)
    if args.faq_command == "export":
        return await faq.faq_export(settings, args.output, args.format)
    if args.faq_command == "test":
        return await faq.faq_test(settings, args.question)
    if args.faq_command == "synonyms":
        return await faq.faq_synonyms(settings, args.file, now)
    return await faq.faq_stats(settings, now, args.limit)


def _run_fast(main: Coroutine[Any, Any, int]) -> int:
    """Run the service on uvloop where it is installed: the same asyncio, a faster loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


async def _migrate(settings: Settings, *, always: bool) -> bool:
    """Bring the schema to head. Without `always`, only a SQLite database is migrated."""
    from sqlalchemy import make_url

    from storage.db import Database, is_sqlite
    from storage.migrate import current_revision, head_revision, upgrade

    url = settings.effective_database_url
    if is_sqlite(url) and make_url(url).database:
        Path(str(make_url(url).database)).parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    try:
        head = head_revision(db.url)
        current = await current_revision(db.engine)
        if current == head:
            return True
        # Any SQLite file is migrated in place, like the embedded default: it belongs to this
        # service alone. A PostgreSQL schema is shared, so its upgrade is the operator's step.
        if always or is_sqlite(db.url):
            await upgrade(db.engine)
            log.info("database migrated from %s to %s", current or "empty", head)
            return True
        print(
            f"workshop-bot: the database is at revision {current or 'empty'}, the code needs "
            f"{head}: run `workshop-bot db upgrade` first",
            file=sys.stderr,
        )
        return False
    finally:
        await db.dispose()


async def _db_upgrade(settings: Settings) -> int:
    ok = await _migrate(settings, always=True)
    if ok:
        print("database is up to date")
    return 0 if ok else 1


def _announce(settings: Settings, host: str, port: int, *, trial: bool, note: str = "") -> Path:
    """The lines an operator reads when the service is up; serve.url for `workshop-bot chat`
    (so it finds the port whatever --port said). Returns serve.url, to remove at the end."""
    from ops.chat import SERVE_URL_FILE

    if trial:
        print("trial mode: no WECHAT_TOKEN set; using the generated token "
              f"{settings.token} (kept in {settings.workshop_bot_var_dir / 'wechat_token'})",
              flush=True)
    if not settings.can_push:
        print("pushes are kept but not sent: set WECHAT_APP_ID and WECHAT_APP_SECRET to send "
              "them (workshop-bot outbox shows what waits)", flush=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/wechat"
    serve_url = settings.workshop_bot_var_dir / SERVE_URL_FILE
    serve_url.parent.mkdir(parents=True, exist_ok=True)
    serve_url.write_text(url + "\n", encoding="utf-8")
    print(f"workshop-bot ready: {url}{note}", flush=True)
    return serve_url


def _serve_workers(settings: Settings, args: argparse.Namespace) -> int:
    """`serve --workers N`: migrate once, then N `serve --worker` processes on one port
    (SO_REUSEPORT: the kernel spreads connections over them). Each runs the endpoint and the
    outbox worker; the scheduler lease lets one of them run the jobs. This process relays
    their output and passes SIGTERM/SIGINT on; it stops when they have. A worker that dies
    on its own is started again (the others serve meanwhile); one that keeps dying stops
    the service (exit 1) for the service manager to deal with."""
    import subprocess
    import threading

    from storage.db import is_sqlite

    if is_sqlite(settings.effective_database_url):
        print("workshop-bot serve: --workers needs PostgreSQL (DATABASE_URL); SQLite has one "
              "writer at a time, so run one process", file=sys.stderr)
        return 2
    trial = settings.ensure_token()
    if not asyncio.run(_migrate(settings, always=False)):
        return 1
    host = args.host or settings.workshop_bot_host
    port = args.port or settings.workshop_bot_port
    command = [sys.executable, "-m", "bot", *(["--config", args.config] if args.config else []),
               "serve", "--worker", "--host", host, "--port", str(port),
               *(["--no-scheduler"] if args.no_scheduler else [])]
    ready = threading.Semaphore(0)
    stopping = threading.Event()
    children: list[subprocess.Popen[str]] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    # Before any worker exists: a stop that comes early still reaches every one of them.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def relay(child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        for line in child.stdout:
            try:
                print(f"[{child.pid}] {line}", end="", flush=True)
            except OSError:
                pass  # our own output is gone (a closed pipe): keep draining theirs
            # After the line is out: "ready" for the service comes after every worker's.
            if "worker ready" in line:
                ready.release()

    def spawn() -> subprocess.Popen[str]:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
        children.append(child)
        threading.Thread(target=relay, args=(child,), daemon=True).start()
        return child

    try:
        for _ in range(args.workers):
            spawn()
        return _supervise(children, spawn, ready, stopping, stop, settings, host, port, trial)
    finally:
        # Whatever happened here, no worker outlives the process that started it.
        for child in children:
            if child.poll() is None:
                child.terminate()
                child.wait()


# A worker dying more often than this (it cannot start: a bad setting, the port) stops all.
RESTARTS_PER_MINUTE = 5


def _supervise(children: list[Any], spawn: Any, ready: Any, stopping: Any, stop: Any,
               settings: Settings, host: str, port: int, trial: bool) -> int:
    """Wait for every worker to be ready, then keep them running until the stop signal."""
    import time

    for _ in children:
        while not ready.acquire(timeout=0.5):
            if stopping.is_set() or any(c.poll() is not None for c in children):
                stop(signal.SIGTERM, None)
                return 0 if stopping.is_set() else 1
    serve_url = _announce(settings, host, port, trial=trial,
                          note=f" ({len(children)} workers)")
    restarts: list[float] = []
    try:
        while not stopping.is_set():
            for dead in [c for c in children if c.poll() is not None]:
                if stopping.is_set():
                    break
                children.remove(dead)
                restarts = [t for t in restarts if time.monotonic() - t < 60] + [time.monotonic()]
                if len(restarts) > RESTARTS_PER_MINUTE:
                    log.error("workers keep dying (%d in a minute); stopping", len(restarts))
                    stop(signal.SIGTERM, None)
                    for child in children:
                        child.wait()
                    return 1
                log.error("worker %s exited (%s); starting another", dead.pid, dead.returncode)
                spawn()
            time.sleep(0.2)
        codes = [child.wait() for child in children]
    finally:
        serve_url.unlink(missing_ok=True)
    return 0 if all(code in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes) else 1


async def _serve(settings: Settings, host: str | None, port: int | None, *,
                 run_jobs: bool = True, worker: bool = False) -> int:
    from aiohttp import web

    from bot.app import create_app
    from handlers import build_router
    from web import web_parts

    trial = settings.ensure_token()
    if not await _migrate(settings, always=False):
        return 1
    # The address actually listened on: trial mode's console links point there.
    settings.workshop_bot_host = host = host or settings.workshop_bot_host
    settings.workshop_bot_port = port = port or settings.workshop_bot_port
    app = create_app(settings, build_router(), deliver=True, run_jobs=run_jobs,
                     web_parts=web_parts(settings))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # Everything allocated so far lives as long as the process: keep it out of the
    # collector's generations, so full collections under load stay short.
    gc.collect()
    gc.freeze()
    # A request allocates a few thousand short-lived objects: collecting the young
    # generation every 700 allocations (the default) costs more than it frees, and
    # every 50,000 makes each pause long enough to show in the p99 (bench.inbound).
    gc.set_threshold(10_000, 20, 100)
    site = web.TCPSite(runner, host, port, reuse_port=worker)
    await site.start()
    if worker:
        print(f"workshop-bot worker ready (pid {os.getpid()})", flush=True)
        return await _until_stopped(runner)
    serve_url = _announce(settings, host, port, trial=trial)
    try:
        return await _until_stopped(runner)
    finally:
        serve_url.unlink(missing_ok=True)


async def _until_stopped(runner: Any) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await runner.cleanup()
    return 0
