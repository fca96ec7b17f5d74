"""The records behind the report pages' tests: two studios' November, written straight into
the tables (the chat's own paths are tested elsewhere), seen on 1 December."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from storage.models import (
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    Studio,
    StudioScore,
    Suggestion,
    Topic,
    TopicProgress,
    UnionScore,
    WeeklyLog,
)
from tests.support import Service

# 1 December 2026, 09:00 in Shanghai: the monthly summary's morning; November is the month.
DEC_1 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
红星机械创新工作室,王建国,L1,leader,,13800001111
红星机械创新工作室,李强,M1,member,,
红星机械创新工作室,张伟,M2,member,,
红星机械创新工作室,赵敏,M3,member,M2,
红星机械创新工作室,陈静,M4,member,,
红星机械创新工作室,刘洋,M5,member,,
蓝天电气创新工作室,孙丽,L2,leader,,
蓝天电气创新工作室,周杰,N1,member,,
蓝天电气创新工作室,吴磊,N2,member,,
,钱主任,A1,admin,,
"""
OPENIDS = {"L1": "o-wang", "M1": "o-li", "M2": "o-zhang", "M3": "o-zhao", "M4": "o-chen",
           "L2": "o-sun", "N1": "o-zhou", "A1": "o-qian"}
# Who handed in a log in each of November's weeks (W45–W48), and the hours.
LOGS = {"2026-W45": ("L1", "M1", "M2", "M3"), "2026-W46": ("L1", "M1", "M2", "M3", "M4", "M5"),
        "2026-W47": ("L1", "M1", "M2", "M3", "M4"), "2026-W48": ("L1", "M2", "M3"),
        "2026-W44": ("M3",)}
BLUE_LOGS = {"2026-W45": ("L2",), "2026-W46": ("L2", "N1"), "2026-W47": ("L2",),
             "2026-W48": ()}
# 红星's recorded scores and the union's medians for June–October (the 12-month line).
HISTORY = {"2026-06": (48.5, 45.0), "2026-07": (52.0, 47.5), "2026-08": (57.5, 50.0),
           "2026-09": (61.0, 51.5), "2026-10": (64.5, 53.0)}


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=UTC)


async def seed(svc: Service) -> dict[str, int]:
    """November's records, written straight into the tables (the chat's own paths are
    tested elsewhere): the ids of members and studios by their codes."""
    async with svc.db.transaction() as session:
        ids = {no: mid for no, mid in (await session.execute(
            select(Member.employee_no, Member.id))).all()}
        studio = {name: sid for name, sid in (await session.execute(
            select(Studio.name, Studio.id))).all()}
        red, blue = studio["红星机械创新工作室"], studio["蓝天电气创新工作室"]
        ids["red"], ids["blue"] = red, blue
        rows = []
        for logs, sid in ((LOGS, red), (BLUE_LOGS, blue)):
            for week, who in logs.items():
                monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
                for i, no in enumerate(who):
                    rows.append({"member_id": ids[no], "studio_id": sid, "week": week,
                                 "content": "本周工作", "hours": 6.0 if i == 0 else 4.0,
                                 "late": False, "version": 1,
                                 "submitted_at": at(monday + timedelta(days=4)),
                                 "updated_at": at(monday + timedelta(days=4))})
        await session.execute(insert(WeeklyLog), rows)
        pair = await session.scalar(select(MentorshipPair.id).where(
            MentorshipPair.apprentice_id == ids["M3"]))
        await session.execute(insert(CheckIn), [
            {"pair_id": pair, "author_id": ids["M3"], "checkin_date": date(2026, 11, d),
             "content": f"练习焊缝打磨第{k}次", "hours": 2.0, "created_at": at(date(2026, 11, d)),
             "confirmed_at": at(date(2026, 11, d), 18) if k < 3 else None,
             "comment": "动作规范，继续练习" if k == 1 else None}
            for k, d in ((1, 4), (2, 12), (3, 26))])
        topic_ids = []
        for title, created in (("焊接机器人", date(2026, 8, 3)), ("节能改造", date(2026, 10, 8))):
            topic_ids.append((await session.execute(insert(Topic).returning(Topic.id), [{
                "studio_id": red, "title": title, "kind": "tech_breakthrough",
                "status": "acceptance" if title == "焊接机器人" else "in_progress",
                "percent": 70 if title == "焊接机器人" else 30,
                "created_at": at(created), "updated_at": at(created)}])).scalar_one())
        robot, energy = topic_ids
        await session.execute(insert(TopicProgress), [
            {"topic_id": tid, "author_id": ids["L1"], "content": "推进", "percent": pct,
             "status": status, "kind": kind, "created_at": at(day)}
            for tid, day, pct, kind, status in (
                (robot, date(2026, 9, 10), 20, "progress", "in_progress"),
                (robot, date(2026, 10, 12), 45, "progress", None),
                (robot, date(2026, 11, 10), 70, "progress", None),
                (robot, date(2026, 11, 25), None, "status", "acceptance"),
                (energy, date(2026, 10, 20), 10, "progress", "in_progress"),
                (energy, date(2026, 11, 16), 30, "progress", None))])
        await session.execute(insert(Achievement), [
            {"studio_id": red, "member_id": ids[no], "type": kind, "title": title,
             "economic_benefit": benefit, "promoted": False, "status": status,
             "created_at": at(date(2026, 11, 18))}
            for no, kind, title, benefit, status in (
                ("M1", "utility_model", "一种焊缝打磨夹具", 12.5, "verified"),
                ("M3", "five_small", "快换刀架", 2.0, "verified"),
                ("M2", "qc_result", "降低返修率", 3.0, "reported"))])
        await session.execute(insert(Suggestion), [
            {"studio_id": red, "member_id": ids[no], "content": text, "status": status,
             "reply": reply, "created_at": at(date(2026, 11, 9))}
            for no, text, status, reply in (
                ("M3", "工具柜按班组分区", "accepted", "下周实施"),
                ("M3", "夜班增加照明", "submitted", None),
                ("M1", "统一量具校准日", "implemented", None),
                ("M4", "更换老旧风机", "rejected", "预算已用完"),
                ("M5", "设置安全提示牌", "submitted", None))])
        await session.execute(insert(StudioScore), [
            {"studio_id": red, "month": month, "score": score, "stars": 0,
             "recorded_at": DEC_1} for month, (score, _median) in HISTORY.items()])
        await session.execute(insert(UnionScore), [
            {"month": month, "median": median, "rated": 2, "recorded_at": DEC_1}
            for month, (_score, median) in HISTORY.items()])
    return ids
