"""`workshop-bot rating …`: the union office's side of star rating — the rubric, rounds and
their experts, scores, 公示, objections, the decision, the stars' history and funding."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from bot.config import Settings
from bot.replies import MAX_TEXT_BYTES
from domain import DomainError, NotFound
from domain import rating as rules
from domain.faq_file import FaqFileError
from domain.rating import Entry, StarDecision
from domain.rating_words import (
    decision_wording,
    number,
    publicity_wording,
    standing_text,
    stars_word,
    until_word,
)
from domain.rubric import MANUAL, Rubric, import_rubric, rubric_version
from domain.tables import Cell, write_workbook
from locales import Words, formats
from ops.rating_file import RubricFileError, check_file
from ops.studios import pick_studio
from ops.terminal import err, office_words, print_table
from storage.db import Database
from storage.queries.studios import studio_by_name


def _reason(words: Words, error: DomainError) -> str:
    """A refusal of the rules in the office's words (rating.refused.<code>)."""
    facts = {k: (", ".join(map(str, v)) if isinstance(v, list)
                 else number(v) if isinstance(v, float) else v)
             for k, v in error.facts.items()}
    try:
        return words(f"rating.refused.{error.code}", **facts)
    except KeyError:  # a rule with no words of its own here, or other facts
        return words("rating.refused.other", code=error.code)


def _day(text: str, words: Words, what: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(words("rating.ops.bad_date", option=what, value=text))
        return None


# -- the rubric -----------------------------------------------------------------------


async def rubric_import(settings: Settings, path: Path, now: datetime) -> int:
    """Check the file and store it as the next version, or nothing when a line is bad (each
    printed with its reason): 0 imported (or unchanged), 1 refused, 2 unreadable."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            checked = check_file(path)
        except RubricFileError as exc:
            err.print(words("rating.ops.unreadable", path=path,
                            reason=words(f"rating.file.{exc.code}", **exc.facts)))
            return 2
        except FaqFileError as exc:
            err.print(words("rating.ops.unreadable", path=path,
                            reason=words(f"faq.file.{exc.code}", **exc.facts)))
            return 2
        except (OSError, ValueError) as exc:
            err.print(words("rating.ops.unreadable", path=path, reason=exc))
            return 2
        if not checked.ok:
            for p in sorted(checked.problems, key=lambda p: p.line):
                print(words("rating.ops.line", line=p.line,
                            reason=words(f"rating.problem.{p.code}", **p.facts)))
            if checked.total is not None:
                lines = [i.line for i in checked.items]
                print(words("rating.ops.total", total=number(checked.total), n=len(lines),
                            first=min(lines), last=max(lines)))
            print(words("rating.ops.refused", n=len(checked.problems)
                        + (checked.total is not None)))
            return 1
        async with db.transaction() as session:
            done = await import_rubric(session, checked, source=path.name, now=now)
    finally:
        await db.dispose()
    if not done.created:
        print(words("rating.ops.unchanged", version=done.version))
        return 0
    automatic = sum(i.points for i in checked.items if i.method != MANUAL)
    s1, s2, s3 = (number(t) for t in checked.thresholds)
    print(words("rating.ops.imported", file=path.name, n=done.items, version=done.version,
                automatic=number(automatic), manual=number(100 - automatic), s1=s1, s2=s2,
                s3=s3))
    return 0


def _rubric_table(words: Words, rubric: Rubric) -> None:
    print(words("rating.ops.rubric_head", version=rubric.version, source=rubric.source,
                n=len(rubric.items), s1=number(rubric.thresholds[0]),
                s2=number(rubric.thresholds[1]), s3=number(rubric.thresholds[2])))
    print_table([words(f"rating.column.{c}") for c in
                 ("code", "category", "title", "points", "method", "criteria")],
                [[i.code, i.category, i.title, number(i.points),
                  i.scale_text if i.automatic else words("rating.ops.manual"), i.criteria]
                 for i in rubric.items])


async def rubric_show(settings: Settings, version: int | None) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            rubric = await rubric_version(session, version)
    finally:
        await db.dispose()
    if rubric is None:
        err.print(words("rating.ops.no_rubric" if version is None else "rating.ops.no_version",
                        version=version))
        return 1
    _rubric_table(words, rubric)
    return 0


# -- rounds ---------------------------------------------------------------------------


async def round_open(settings: Settings, name: str, start: str, end: str, deadline: str,
                     now: datetime) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        days = [_day(start, words, "--period-start"), _day(end, words, "--period-end"),
                _day(deadline, words, "--deadline")]
        if None in days:
            return 2
        first, last, closes = (d for d in days if d is not None)
        try:
            async with db.transaction() as session:
                opened = await rules.open_round(session, name=name, period_start=first,
                                                period_end=last, deadline=closes, now=now)
                rubric = await rubric_version(session, rubric_id=opened.rubric_id)
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    assert rubric is not None
    print(words("rating.ops.opened", name=opened.name, start=first.isoformat(),
                end=last.isoformat(), deadline=closes.isoformat(), version=rubric.version))
    return 0


async def round_experts(settings: Settings, name: str, employee_nos: Sequence[str],
                       now: datetime) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                found = await rules.round_named(session, name)
                done = await rules.add_experts(session, found.id, employee_nos, now=now)
                everyone = await rules.experts(session, found.id)
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    print(words("rating.ops.experts", name=found.name, added=len(done.added),
                had=len(done.had), n=len(everyone),
                names=formats.join(words, [words("rating.ops.expert_name", name=p.name,
                                                 employee_no=p.employee_no)
                                           for p in everyone])))
    return 0


async def round_list(settings: Settings) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            found = await rules.rounds(session)
            counts = {r.id: len((await rules.round_sheet(session, r.id)).entries) for r in found}
    finally:
        await db.dispose()
    if not found:
        print(words("rating.ops.no_rounds"))
        return 0
    for r in found:
        print(words("rating.ops.round_line", name=r.name,
                    status=words(f"rating.round.status.{r.status}"),
                    start=r.period_start.isoformat(), end=r.period_end.isoformat(),
                    deadline=r.deadline.isoformat(), n=counts[r.id]))
    return 0


def _entry_lines(words: Words, rank: int, e: Entry) -> list[str]:
    lines = [words("rating.ops.entry", rank=rank, studio=e.studio, total=number(e.total),
                   automatic=number(e.automatic), manual=number(e.manual),
                   stars=stars_word(words, e.stars), current=stars_word(words, e.current),
                   change=words(f"rating.change.{e.change}"))]
    if e.spread is not None:
        lines.append(words("rating.ops.entry_spread", spread=number(e.spread),
                           totals=formats.join(words, [f"{name} {number(t)}" for name, t
                                                       in e.expert_totals.items()])))
    for r in e.items:
        item = r.answer.item
        if item.automatic:
            continue
        if r.points is None:
            lines.append(words("rating.ops.item_unscored", code=item.code, title=item.title))
            continue
        scores = formats.join(words, [f"{s.expert} {number(s.points)}" for s in r.scores])
        lines.append(words("rating.ops.item_scores", code=item.code, title=item.title,
                           points=number(item.points), scores=scores, mean=number(r.points),
                           spread=number(r.spread or 0.0)))
    for d in e.dropped:
        lines.append(words("rating.ops.dropped", code=d.code, title=d.title,
                           before=number(d.before), now=number(d.now)))
    return lines


async def round_show(settings: Settings, name: str) -> int:
    """The round's sheet: each studio's total (automatic + the experts' mean), the stars it
    earns against its stars now, the experts' spread, and the manual items' scores."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.reader() as session:
                found = await rules.round_named(session, name)
                sheet = await rules.round_sheet(session, found.id)
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    r = sheet.round
    print(words("rating.ops.round_head", name=r.name,
                status=words(f"rating.round.status.{r.status}"),
                start=r.period_start.isoformat(), end=r.period_end.isoformat(),
                deadline=r.deadline.isoformat(), version=sheet.rubric.version,
                experts=formats.join(words, [p.name for p in sheet.experts])
                or words("rating.ops.no_experts"), n=len(sheet.entries)))
    for rank, entry in enumerate(sheet.entries, start=1):
        for line in _entry_lines(words, rank, entry):
            print(line)
    return 0


async def round_publish(settings: Settings, name: str, days: int, all_members: bool,
                        now: datetime) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                found = await rules.round_named(session, name)
                done = await rules.publish(session, found.id, objection_days=days,
                                           all_members=all_members, now=now, tz=settings.tz,
                                           word=publicity_wording(settings.tz))
        except rules.Unscored as refused:
            missing = refused.facts["missing"]
            assert isinstance(missing, list)
            for studio, codes in missing:
                err.print(words("rating.ops.unscored", studio=studio, items=", ".join(codes)))
            err.print(words("rating.ops.not_published", n=len(missing)))
            return 1
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    p = done.publicity
    print(words("rating.ops.published", name=p.round.name, n=len(p.entries), s3=p.count(3),
                s2=p.count(2), s1=p.count(1), s0=p.count(0),
                until=until_word(words, settings.tz, p.until), queued=done.queued))
    return 0


async def round_finalise(settings: Settings, name: str, now: datetime) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                found = await rules.round_named(session, name)
                done = await rules.finalise(session, found.id, now=now,
                                            word=decision_wording(settings.tz, now))
        except rules.InPublicity as refused:
            until = refused.facts["until"]
            assert isinstance(until, datetime)
            err.print(words("rating.refused.in_publicity",
                            until=until_word(words, settings.tz, until)))
            return 1
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    for d in done.decisions:
        print(_decision_line(words, d))
    print(words("rating.ops.finalised", name=done.round.name, n=len(done.decisions),
                queued=done.queued))
    return 0


def _decision_line(words: Words, d: StarDecision) -> str:
    why = (words("rating.ops.why_round", round=d.round, score=number(d.score))
           if d.round is not None and d.score is not None
           else words("rating.ops.why_reason", reason=d.reason or ""))
    return words("rating.ops.decision", studio=d.studio, before=stars_word(words, d.before),
                 after=stars_word(words, d.after), change=words(f"rating.change.{d.change}"),
                 why=why)


# -- scores, objections ---------------------------------------------------------------


async def score(settings: Settings, round_name: str, studio: str, code: str, points: float,
                expert_no: str, comment: str | None, now: datetime) -> int:
    """An expert's score of a manual item (what the console's expert page will do)."""
    from storage.queries.rating import members_numbered

    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                found = await rules.round_named(session, round_name)
                name = await pick_studio(session, words, studio)
                if name is None:
                    return 2
                expert = (await members_numbered(session, [expert_no])).get(
                    expert_no.strip().casefold())
                if expert is None:
                    raise DomainError("unknown_members", unknown=[expert_no])
                sheet = await rules.expert_sheet(session, found.id, expert.id)
                application = next((a.application for a in sheet
                                    if a.application.studio == name), None)
                if application is None:
                    raise NotFound("not_applied", studio=name, round=found.name)
                done = await rules.score(session, round_id=found.id,
                                         application_id=application.id, code=code,
                                         expert_id=expert.id, points=points, comment=comment,
                                         now=now)
        except NotFound as refused:
            if refused.code == "not_found":  # not an expert of the round
                err.print(words("rating.refused.not_expert", name=expert_no, round=round_name))
            else:
                err.print(_reason(words, refused))
            return 1
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    print(words("rating.ops.scored" if done.new else "rating.ops.rescored", expert=expert.name,
                studio=done.studio, code=done.code, points=number(done.points)))
    return 0


async def objections(settings: Settings, round_name: str) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.reader() as session:
                found = await rules.round_named(session, round_name)
                rows = await rules.objections(session, found.id)
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    if not rows:
        print(words("rating.ops.no_objections", name=found.name))
        return 0
    for o in rows:
        print(words("rating.ops.objection", id=o.id, studio=o.studio, name=o.name,
                    employee_no=o.employee_no, content=o.content,
                    at=o.created_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")))
    print(words("rating.ops.objections_summary", name=found.name, n=len(rows)))
    return 0


# -- the stars outside a round, their history, funding --------------------------------


async def set_stars(settings: Settings, studio: str, stars: int, reason: str,
                    now: datetime) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                name = await pick_studio(session, words, studio)
                if name is None:
                    return 2
                found = await studio_by_name(session, name)
                assert found is not None
                decision = await rules.decide_stars(
                    session, found.id, stars, reason=reason, now=now,
                    word=decision_wording(settings.tz, now))
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    print(_decision_line(words, decision))
    return 0


async def history(settings: Settings, studio: str | None) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            studio_id = None
            if studio is not None:
                name = await pick_studio(session, words, studio)
                if name is None:
                    return 2
                found = await studio_by_name(session, name)
                assert found is not None
                studio_id = found.id
            rows = await rules.history(session, studio_id)
    finally:
        await db.dispose()
    if not rows:
        print(words("rating.ops.no_history"))
    for d in rows:
        print(_decision_line(words, d))
    return 0


async def funding(settings: Settings, studio: str, amount: float, purpose: str, on: str,
                  round_name: str | None, now: datetime) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        day = _day(on, words, "--date")
        if day is None:
            return 2
        try:
            async with db.transaction() as session:
                name = await pick_studio(session, words, studio)
                if name is None:
                    return 2
                found = await studio_by_name(session, name)
                assert found is not None
                grant = await rules.grant_funding(session, found.id, amount=amount,
                                                  purpose=purpose, grant_date=day, now=now,
                                                  round_name=round_name)
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    print(words("rating.ops.funded", studio=grant.studio, amount=number(grant.amount),
                purpose=grant.purpose, date=grant.grant_date.isoformat()))
    return 0


async def show_standing(settings: Settings, studio: str, now: datetime) -> int:
    """The studio's standing and way up, as its leader's 评星 gives it."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.reader() as session:
                name = await pick_studio(session, words, studio)
                if name is None:
                    return 2
                found = await studio_by_name(session, name)
                assert found is not None
                s = await rules.standing(session, found.id, now=now, tz=settings.tz)
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    print(standing_text(words, s, MAX_TEXT_BYTES))
    return 0


# -- the score sheet ------------------------------------------------------------------


async def export_round(settings: Settings, round_name: str, output: str | None) -> int:
    """The round as XLSX: the score sheet (a row per studio and item, a column per expert)
    and the 公示 list (rank, studio, total, stars proposed, stars now)."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.reader() as session:
                found = await rules.round_named(session, round_name)
                sheet = await rules.round_sheet(session, found.id)
        except DomainError as refused:
            err.print(_reason(words, refused))
            return 1
    finally:
        await db.dispose()
    experts = [p.name for p in sheet.experts]
    scores: list[list[Cell]] = []
    for e in sheet.entries:
        for r in e.items:
            item = r.answer.item
            given = {s.expert: s.points for s in r.scores}
            scores.append([e.studio, item.code, item.category, item.title, item.points,
                           words("rating.ops.manual") if not item.automatic else item.scale_text,
                           r.answer.self_points, *(given.get(x) for x in experts), r.points,
                           r.spread])
    listing: list[list[Cell]] = [
        [n, e.studio, e.automatic, e.manual, e.total, e.stars, e.current,
         words(f"rating.change.{e.change}"), e.spread]
        for n, e in enumerate(sheet.entries, start=1)]
    path = Path(output or f"rating-{_safe(found.name)}.xlsx")
    write_workbook(path, [
        (words("rating.sheet.scores"),
         [words(f"rating.column.{c}") for c in ("studio", "code", "category", "title", "points",
                                                "method", "self")]
         + experts + [words("rating.column.mean"), words("rating.column.spread")], scores),
        (words("rating.sheet.list"),
         [words(f"rating.column.{c}") for c in ("rank", "studio", "automatic", "manual", "total",
                                                "stars", "current", "change", "spread")],
         listing)])
    print(words("rating.ops.exported", name=found.name, path=path))
    return 0


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)

