"""Managing members (the console's member pages): domain.members' rules on the database — who
may change what, the pair rule the roster import shares, and what deactivation means for
the rest of the system (binding, pushes, reminders)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from domain import DomainError, NotAllowed, NotFound, WrongState
from domain import members as rules
from domain.members import OFFICE, Actor, MemberChange, PairingRefused
from domain.roster import preview_roster
from locales import pushes
from scheduled.delivery import Deliverer
from storage.db import Database
from storage.models import ROLE_ADMIN, ROLE_LEADER, MentorshipPair, OutboxMessage, Studio
from storage.queries.dialogs import save_dialog
from storage.queries.invites import redeem_invite
from storage.queries.jobs import missing_logs_for_week
from storage.queries.members import MemberRecord
from storage.queries.outbox import enqueue
from storage.queries.roster import apply_roster
from storage.queries.sender import sender_of
from tests.seed import UNION, roster, seed

ROSTER = """studio,name,employee_no,role,mentor_employee_no
甲工作室,甲领衔,L1,leader,
甲工作室,甲成员,M1,member,L1
甲工作室,乙成员,M2,member,
甲工作室,丙成员,M3,member,
甲工作室,戊成员,M4,member,
乙工作室,乙领衔,L2,leader,
乙工作室,丁成员,N1,member,
,管理员,A1,admin,
,副管理员,A2,admin,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "M4": "o-m4", "L2": "o-l2", "A1": "o-a1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TODAY = FRIDAY.date()
TZ = ZoneInfo("Asia/Shanghai")
AT = "2026-11-20 16:00"


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def ids(db: Database) -> dict[str, int]:
    return await seed(db, ROSTER, FRIDAY, OPENIDS)


def role_push(choice: str | None, m: MemberRecord) -> tuple[str, dict[str, str] | None]:
    return pushes.role_changed(choice, name=m.name, role=m.role, at=AT)


def studio_push(choice: str | None, m: MemberRecord) -> tuple[str, dict[str, str] | None]:
    return pushes.studio_changed(choice, name=m.name, studio=m.studio or "", role=m.role, at=AT)


async def as_member(db: Database, ids: dict[str, int], employee_no: str) -> Actor:
    async with db.reader() as session:
        return await rules.actor(session, ids[employee_no])


async def pushes_to(db: Database, member_id: int, kind: str) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient_id == member_id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)))


async def studio_id(db: Database, name: str) -> int:
    async with db.reader() as session:
        found = await session.scalar(select(Studio.id).where(Studio.name == name))
    assert found is not None
    return found


async def test_the_signed_in_member_is_an_actor_only_as_a_leader_or_admin(
        db: Database, ids: dict[str, int]) -> None:
    admin, leader = await as_member(db, ids, "A1"), await as_member(db, ids, "L1")
    assert (admin.admin, admin.member_id) == (True, ids["A1"])
    assert (leader.admin, leader.role, leader.studio_id) == (
        False, ROLE_LEADER, await studio_id(db, "甲工作室"))
    with pytest.raises(NotAllowed):
        await as_member(db, ids, "M1")


async def test_a_leader_reaches_the_plain_members_of_their_own_studio_only(
        db: Database, ids: dict[str, int]) -> None:
    leader = await as_member(db, ids, "L1")
    other = await studio_id(db, "乙工作室")
    async with db.reader() as session:
        mine = await rules.members(session, leader, leader.studio_id)
        with pytest.raises(NotFound):
            await rules.members(session, leader, other)
        with pytest.raises(NotFound):
            await rules.members(session, leader)  # the whole union is the admins'
        with pytest.raises(NotFound):
            await rules.member(session, leader, ids["N1"])
        everyone = await rules.members(session, OFFICE)
    assert [m.employee_no for m in mine] == ["L1", "M1", "M2", "M3", "M4"]
    m1 = next(m for m in mine if m.employee_no == "M1")
    assert (m1.mentor_id, m1.mentor, m1.bound, m1.studio) == (ids["L1"], "甲领衔", True, "甲工作室")
    assert next(m for m in mine if m.employee_no == "L1").apprentice_ids == (ids["M1"],)
    assert len(everyone) == 9
    async with db.transaction() as session:
        with pytest.raises(NotFound):  # another studio's member looks like a missing one
            await rules.deactivate(session, leader, ids["N1"], now=FRIDAY, today=TODAY)
        with pytest.raises(NotAllowed) as roles:
            await rules.change_role(session, leader, ids["M2"], ROLE_LEADER, now=FRIDAY,
                                    today=TODAY, word=role_push)
        with pytest.raises(NotAllowed) as leaders:
            await rules.deactivate(session, leader, ids["L1"], now=FRIDAY, today=TODAY)
        with pytest.raises(NotAllowed):
            await rules.move_member(session, leader, ids["M2"], other, now=FRIDAY,
                                    word=studio_push)
    assert roles.value.code == leaders.value.code == "admins_only"


async def test_a_role_change_tells_the_member_once_and_the_last_admin_stays(
        db: Database, ids: dict[str, int]) -> None:
    admin = await as_member(db, ids, "A1")
    async with db.transaction() as session:
        change = await rules.change_role(session, admin, ids["M2"], ROLE_LEADER, now=FRIDAY,
                                         today=TODAY, word=role_push)
        again = await rules.change_role(session, admin, ids["M2"], ROLE_LEADER, now=FRIDAY,
                                        today=TODAY, word=role_push)
        unbound = await rules.change_role(session, admin, ids["M3"], ROLE_LEADER, now=FRIDAY,
                                          today=TODAY, word=role_push)
    assert isinstance(change, MemberChange) and change.changed and change.notified
    assert (change.before.role, change.after.role, change.after.id) == ("member", "leader",
                                                                        ids["M2"])
    assert not again.changed and not again.notified
    assert unbound.changed and not unbound.notified  # never bound WeChat: nobody to tell
    [pushed] = await pushes_to(db, ids["M2"], rules.ROLE_KIND)
    assert pushed.text == "【角色变更】乙成员，您的角色已改为“领衔人”。发送“帮助”查看您现在可以使用的功能。"
    assert pushed.template_fields == {"thing1": "角色已改为领衔人", "time2": AT}
    assert await pushes_to(db, ids["M3"], rules.ROLE_KIND) == []

    # A new admin leaves their pairs: L1 mentored M1.
    async with db.transaction() as session:
        promoted = await rules.change_role(session, OFFICE, ids["L1"], ROLE_ADMIN, now=FRIDAY,
                                           today=TODAY, word=role_push)
        apprentice = await rules.member(session, OFFICE, ids["M1"])
        back = await rules.change_role(session, OFFICE, ids["L1"], ROLE_LEADER,
                                       now=FRIDAY + timedelta(seconds=1), today=TODAY,
                                       word=role_push)
    assert promoted.before.apprentice_ids == (ids["M1"],) and promoted.after.apprentice_ids == ()
    assert len(promoted.pairs_ended) == 1 and apprentice.mentor_id is None
    assert back.after.role == ROLE_LEADER and len(await pushes_to(db, ids["L1"], "member-role")) == 2

    async with db.transaction() as session:
        with pytest.raises(WrongState) as studioless:  # an admin in no studio
            await rules.change_role(session, admin, ids["A2"], "member", now=FRIDAY,
                                    today=TODAY, word=role_push)
        with pytest.raises(DomainError) as unknown:
            await rules.change_role(session, admin, ids["M4"], "boss", now=FRIDAY,
                                    today=TODAY, word=role_push)
        await rules.deactivate(session, admin, ids["A2"], now=FRIDAY, today=TODAY)
        with pytest.raises(NotAllowed) as last:
            await rules.change_role(session, admin, ids["A1"], "member", now=FRIDAY,
                                    today=TODAY, word=role_push)
        with pytest.raises(NotAllowed) as last_out:
            await rules.deactivate(session, OFFICE, ids["A1"], now=FRIDAY, today=TODAY)
        with pytest.raises(NotAllowed) as own:
            await rules.deactivate(session, admin, ids["A1"], now=FRIDAY, today=TODAY)
        await rules.reactivate(session, admin, ids["A2"])
    assert studioless.value.code == "needs_studio"
    assert (unknown.value.code, unknown.value.facts) == ("role_unknown", {"role": "boss"})
    assert last.value.code == last_out.value.code == "last_admin"
    assert own.value.code == "self"


async def test_a_move_tells_the_member_and_only_admins_sit_nowhere(
        db: Database, ids: dict[str, int]) -> None:
    other = await studio_id(db, "乙工作室")
    async with db.transaction() as session:
        moved = await rules.move_member(session, OFFICE, ids["M4"], other, now=FRIDAY,
                                        word=studio_push)
        with pytest.raises(NotFound) as nowhere:
            await rules.move_member(session, OFFICE, ids["M4"], 987654, now=FRIDAY,
                                    word=studio_push)
        with pytest.raises(WrongState) as studioless:
            await rules.move_member(session, OFFICE, ids["M4"], None, now=FRIDAY,
                                    word=studio_push)
        seated = await rules.move_member(session, OFFICE, ids["A2"], other, now=FRIDAY,
                                         word=studio_push)
        unseated = await rules.move_member(session, OFFICE, ids["A2"], None, now=FRIDAY,
                                           word=studio_push)
    assert (moved.before.studio, moved.after.studio, moved.notified) == ("甲工作室", "乙工作室",
                                                                         True)
    [pushed] = await pushes_to(db, ids["M4"], rules.STUDIO_KIND)
    assert pushed.text.startswith("【工作室调整】戊成员，您已调整到“乙工作室”，角色为“成员”。")
    assert pushed.template_fields == {"thing1": "已调整到乙工作室", "time2": AT}
    assert nowhere.value.code == "studio_not_found" and studioless.value.code == "needs_studio"
    assert seated.after.studio == "乙工作室" and unseated.after.studio_id is None
    assert not unseated.notified  # nothing to tell an admin leaving a seat


async def test_mentors_follow_the_pair_rule_the_roster_import_shares(
        db: Database, ids: dict[str, int]) -> None:
    leader = await as_member(db, ids, "L1")
    async with db.transaction() as session:
        first = await rules.set_mentor(session, leader, ids["M1"], ids["M3"], today=TODAY)
        second = await rules.set_mentor(session, leader, ids["M1"], ids["L1"], today=TODAY)
        same = await rules.set_mentor(session, leader, ids["M1"], ids["L1"], today=TODAY)
        with pytest.raises(NotFound) as outside:  # N1 is another studio's
            await rules.set_mentor(session, leader, ids["M1"], ids["N1"], today=TODAY)
        refusals = {}
        for apprentice, mentor in (("M1", "M1"), ("M1", "A1"), ("A2", "M1")):
            with pytest.raises(PairingRefused) as refused:
                await rules.set_mentor(session, OFFICE, ids[apprentice], ids[mentor],
                                       today=TODAY)
            refusals[(apprentice, mentor)] = refused.value.code
        across = await rules.set_mentor(session, OFFICE, ids["N1"], ids["L1"], today=TODAY)
        cleared = await rules.set_mentor(session, OFFICE, ids["N1"], None, today=TODAY)
    assert (first.before.mentor_id, first.after.mentor_id) == (None, ids["M3"])
    assert (second.after.mentor, len(second.pairs_ended)) == ("甲领衔", 1)
    assert not same.changed
    assert (outside.value.code, outside.value.facts["mentor_id"]) == ("mentor_unknown", ids["N1"])
    assert refusals == {("M1", "M1"): "mentor_self", ("M1", "A1"): "mentor_is_admin",
                        ("A2", "M1"): "admin_mentor"}
    assert across.after.mentor_id == ids["L1"] and cleared.after.mentor_id is None

    # The roster import refuses what the console refuses: an inactive mentor.
    async with db.transaction() as session:
        await rules.deactivate(session, OFFICE, ids["M3"], now=FRIDAY, today=TODAY)
        with pytest.raises(PairingRefused) as inactive:
            await rules.set_mentor(session, OFFICE, ids["M2"], ids["M3"], today=TODAY)
        outcome = await apply_roster(session, roster(
            "studio,name,employee_no,role,mentor_employee_no\n甲工作室,乙成员,M2,leader,M3\n"),
            root_union=UNION, now=FRIDAY, today=TODAY)
        m2 = await rules.member(session, OFFICE, ids["M2"])
        await rules.reactivate(session, OFFICE, ids["M3"])
    assert inactive.value.code == "mentor_inactive"
    assert [(p.line, p.code) for p in outcome.problems] == [(2, "mentor_inactive")]
    assert m2.mentor_id is None

    # A roster that makes a mentor a union admin ends the pairs they were in.
    async with db.transaction() as session:
        await rules.set_mentor(session, OFFICE, ids["M2"], ids["M4"], today=TODAY)
        outcome = await apply_roster(session, roster(
            "studio,name,employee_no,role,mentor_employee_no\n乙工作室,戊成员,M4,admin,\n"),
            root_union=UNION, now=FRIDAY, today=TODAY)
        m2 = await rules.member(session, OFFICE, ids["M2"])
        await rules.change_role(session, OFFICE, ids["M4"], "member", now=FRIDAY, today=TODAY,
                                word=role_push)
    assert outcome.pairs_ended == 1 and m2.mentor_id is None


async def test_the_roster_preview_and_import_follow_the_console_s_pair_rule(
        db: Database, ids: dict[str, int]) -> None:
    """A mentor deactivated, a mentor the file makes an admin: the preview says what the
    import then does, and both refuse what set_mentor refuses."""
    text = ("studio,name,employee_no,role,mentor_employee_no\n乙工作室,乙领衔,L2,admin,\n"
            "乙工作室,丁成员,N1,member,L2\n乙工作室,戊成员,M4,member,M3\n")
    async with db.transaction() as session:
        await rules.set_mentor(session, OFFICE, ids["N1"], ids["L2"], today=TODAY)
        await rules.deactivate(session, OFFICE, ids["M3"], now=FRIDAY, today=TODAY)
        preview = await preview_roster(session, text.encode(), "roster.csv", root_union=UNION)
        outcome = await apply_roster(session, roster(text), root_union=UNION, now=FRIDAY,
                                     today=TODAY)
        n1 = await rules.member(session, OFFICE, ids["N1"])
        await rules.change_role(session, OFFICE, ids["L2"], ROLE_LEADER, now=FRIDAY,
                                today=TODAY, word=role_push)
        await rules.reactivate(session, OFFICE, ids["M3"])
    expected = [(3, "mentor_is_admin"), (4, "mentor_inactive")]
    assert [(p.line, p.code) for p in preview.problems] == expected
    assert [(p.line, p.code) for p in outcome.problems] == expected
    assert [(c.employee_no, c.mentor_before, c.mentor_after) for c in preview.mentor_changes
            ] == [("N1", "L2", None)]
    assert outcome.pairs_ended == 1 and n1.mentor_id is None


class _Sender:
    """What delivery needs of the WeChat API: records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text(self, openid: str, content: str) -> None:
        self.sent.append((openid, content))

    async def send_template(self, openid: str, template_id: str, fields: dict[str, str],
                            url: str | None = None) -> str:
        self.sent.append((openid, template_id))
        return "1"


async def test_a_deactivated_member_is_unbound_unreminded_and_unpushed_until_reactivated(
        db: Database, ids: dict[str, int]) -> None:
    leader = await as_member(db, ids, "L1")
    now = FRIDAY + timedelta(hours=2)
    async with db.transaction() as session:
        await rules.set_mentor(session, leader, ids["M1"], ids["L1"], today=TODAY)
        await rules.set_mentor(session, OFFICE, ids["M2"], ids["M1"], today=TODAY)
        invited = await rules.issue_invite(session, leader, ids["M1"], now=now)
        await save_dialog(session, "o-m1", "weekly_logs.hours", {"content": "x"}, now=now,
                          expires_at=now + timedelta(minutes=30))
        await enqueue(session, kind="notice", period="notice:77", recipient_id=ids["M1"],
                      text="通知", now=now)
        before = await sender_of(session, "o-m1", "k1")
        gone = await rules.deactivate(session, leader, ids["M1"], now=now, today=TODAY)
        again = await rules.deactivate(session, leader, ids["M1"], now=now, today=TODAY)
    assert before.member is not None and before.dialog is not None
    assert gone.changed and (gone.before.active, gone.after.active) == (True, False)
    assert len(gone.pairs_ended) == 2 and gone.invites_revoked == 1  # as apprentice and mentor
    assert gone.after.mentor_id is None and gone.after.apprentice_ids == ()
    assert not again.changed

    async with db.transaction() as session:
        # Their WeChat reads as bound to nobody, through both the raw and the Core path.
        raw = await sender_of(session, "o-m1", "k2")
        assert (await redeem_invite(session, invited.code, "o-someone", now)).status == "revoked"
        missing = await missing_logs_for_week(session, "2026-W47")
        with pytest.raises(WrongState) as inactive:
            await rules.issue_invite(session, leader, ids["M1"], now=now)
        with pytest.raises(WrongState):
            await rules.set_mentor(session, leader, ids["M1"], ids["M4"], today=TODAY)
    async with db.reader() as session:
        core = await sender_of(session, "o-m1", "k3")
    assert raw.member is None and raw.dialog is None and core.member is None
    assert ids["M1"] not in {r.id for r in missing.reachable}
    assert inactive.value.code == "inactive"
    sender = _Sender()
    await Deliverer(db, sender, templates={}, tz=TZ, clock=lambda: now).run()
    [row] = [r for r in await pushes_to(db, ids["M1"], "notice") if r.period == "notice:77"]
    assert (row.status, row.result) == ("undeliverable", "inactive")
    assert "o-m1" not in {openid for openid, _ in sender.sent}

    async with db.transaction() as session:
        back = await rules.reactivate(session, leader, ids["M1"])
        fresh = await rules.issue_invite(session, leader, ids["M1"], now=now)
        again_fresh = await rules.issue_invite(session, leader, ids["M1"], now=now)
        after = await sender_of(session, "o-m1", "k4")
        ended = list(await session.scalars(select(MentorshipPair.end_date).where(
            MentorshipPair.apprentice_id == ids["M1"])))
        missing = await missing_logs_for_week(session, "2026-W47")
    assert (back.before.active, back.after.active) == (False, True)
    assert after.member is not None and after.member.id == ids["M1"]
    assert ended and all(day == TODAY for day in ended)  # ended pairs stay ended
    assert fresh.voided_expiry is None and again_fresh.voided_expiry == fresh.expires_at
    assert ids["M1"] in {r.id for r in missing.reachable}
    assert fresh.member.id == ids["M1"] and len(fresh.code) == 8


async def test_an_inactive_members_wechat_can_bind_to_another_record(
        db: Database, ids: dict[str, int]) -> None:
    """The same person back under a new record: the old (inactive) one lets the openid go."""
    admin = await as_member(db, ids, "A1")
    async with db.transaction() as session:
        await rules.deactivate(session, admin, ids["L2"], now=FRIDAY, today=TODAY)
        invited = await rules.issue_invite(session, admin, ids["N1"], now=FRIDAY)
        redeemed = await redeem_invite(session, invited.code, "o-l2", FRIDAY)
        old = await rules.member(session, admin, ids["L2"])
        bound = await sender_of(session, "o-l2", "k5")
    assert redeemed.status == "ok"
    assert not old.bound and bound.member is not None and bound.member.id == ids["N1"]
