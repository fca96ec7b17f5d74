"""The union office's tools as an operator meets them: invite slips that are never voided
unasked, employee numbers and studio names as people type them."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from locales import words_for
from ops import chat, invites, ledger
from storage.models import InviteCode
from tests.support import (
    FakeClock,
    Service,
    bind_members,
    import_roster_text,
    make_settings,
    start_service,
)

# Three studios: 王建国's all bound, 李红's two of three, 陈秀英's nobody (twelve members,
# more than a job's note names).
ROSTER = "\n".join([
    "studio,name,employee_no,role,mentor_employee_no,phone",
    ",赵敏,A0001,admin,,",
    "王建国劳模创新工作室,王建国,W1001,leader,,",
    "王建国劳模创新工作室,李强,W1002,member,,",
    "王建国劳模创新工作室,张伟,W1003,member,W1002,",
    "李红劳模创新工作室,李红,H2001,leader,,",
    "李红劳模创新工作室,赵六,H2002,member,,",
    "李红劳模创新工作室,钱七,H2003,member,,",
    "陈秀英焊接技能大师工作室,陈秀英,C3001,leader,,",
    *(f"陈秀英焊接技能大师工作室,焊工{i:02d},C30{i:02d},member,," for i in range(2, 13)),
]) + "\n"
OPENIDS = {"A0001": "o-admin", "W1001": "o-w1001", "W1002": "o-w1002", "W1003": "o-w1003",
           "H2001": "o-h2001", "H2002": "o-h2002"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai, ISO week 2026-W47
WELDERS = "陈秀英焊接技能大师工作室"
ZH = words_for("zh-CN")


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    settings = make_settings(database_url, str(var_dir))
    # Scored on binding alone: 王建国's studio earns 100 (three stars), 李红's 66.7 (one).
    settings.workshop_bot_rank_weights = "bound=100"
    service = await start_service(settings, clock=FakeClock(FRIDAY))
    await import_roster_text(service, tmp_path_factory.mktemp("r") / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    yield service
    await service.client.close()


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


async def codes_of(svc: Service, codes: list[str]) -> dict[str, InviteCode]:
    async with svc.db.transaction() as session:
        return {c.code: c for c in await session.scalars(
            select(InviteCode).where(InviteCode.code.in_(codes)))}


# -- 15: invites ------------------------------------------------------------------------

async def test_a_studio_run_again_keeps_printed_slips_unless_reissued(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY, str(first)) == 0
    printed = [row[3] for row in table(first.read_text(encoding="utf-8"))[1:]]
    assert len(printed) == 12
    capsys.readouterr()

    # Run again (a lost file, a second operator): nothing is voided, and it says why.
    again = tmp_path / "again.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(hours=1),
                                       str(again)) == 1
    said = capsys.readouterr().err
    assert "12 名未绑定成员都已持有未使用的邀请码" in said and "--reissue" in said
    assert not again.exists()
    assert all(c.revoked_at is None for c in (await codes_of(svc, printed)).values())

    # A member whose code was lost gets a fresh one alone; the studio run then slips only
    # those who hold no working code and names how many it left alone.
    async with svc.db.transaction() as session:
        lost = await session.scalar(select(InviteCode).where(InviteCode.code == printed[0]))
        assert lost is not None
        lost.revoked_at = FRIDAY
    partial = tmp_path / "partial.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(hours=2),
                                       str(partial)) == 0
    assert len(table(partial.read_text(encoding="utf-8"))) == 2
    assert "另有 11 名未绑定成员已持有未使用的邀请码" in capsys.readouterr().err

    # --reissue voids them all and says so.
    fresh = tmp_path / "fresh.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(hours=3),
                                       str(fresh), reissue=True) == 0
    assert "已作废 12 张" in capsys.readouterr().err
    assert len(table(fresh.read_text(encoding="utf-8"))) == 13
    assert all(c.revoked_at is not None for c in (await codes_of(svc, printed)).values())

    # Codes past their 14 days void nothing: a later run issues without --reissue.
    later = tmp_path / "later.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(days=15),
                                       str(later)) == 0
    assert len(table(later.read_text(encoding="utf-8"))) == 13
    assert "--reissue" not in capsys.readouterr().err


async def test_inviting_a_bound_member_warns_that_the_old_wechat_lets_go(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await invites.invite(svc.settings, "W1003", FRIDAY, qr=False) == 0
    out, said = capsys.readouterr()
    assert len(out.splitlines()[-1]) == 8  # the code is still issued, as the last line
    assert "张伟（工号 W1003）已绑定微信" in said and "解除绑定" in said
    # Inviting again voids the code just printed, and says that too.
    assert await invites.invite(svc.settings, "W1003", FRIDAY, qr=False) == 0
    assert "尚未使用的邀请码（原定 2026-12-04 16:00 前有效）已作废" in capsys.readouterr().err
    # A member not bound gets neither warning.
    assert await invites.invite(svc.settings, "H2003", FRIDAY, qr=False) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("typed", ["w1002", " W1002 ", "Ｗ１００２"])
async def test_employee_numbers_match_however_they_are_typed(
        svc: Service, typed: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await invites.invite(svc.settings, typed, FRIDAY, qr=False) == 0
    assert "李强（王建国劳模创新工作室，工号 W1002）" in capsys.readouterr().out
    # `chat --as` speaks as the same console whatever the case.
    openid, code = await chat._invite_for_console(svc.settings, typed, None)
    assert openid == chat.console_openid(svc.settings, "W1002") and code is not None
    assert await invites.invite(svc.settings, "X" + typed, FRIDAY, qr=False) == 1


async def test_a_studio_is_found_by_a_distinctive_part_of_its_name(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    slips = tmp_path / "slips.csv"
    # (钱七 holds a code from the test above: reissued here.)
    assert await invites.invite_studio(svc.settings, "李红", FRIDAY, str(slips),
                                       reissue=True) == 0
    assert "按“李红”找到工作室：李红劳模创新工作室" in capsys.readouterr().err
    assert [row[:3] for row in table(slips.read_text(encoding="utf-8"))[1:]] == [
        ["李红劳模创新工作室", "钱七", "H2003"]]

    # A part several names share: the candidates, and nothing issued.
    assert await invites.invite_studio(svc.settings, "劳模", FRIDAY, None) == 1
    said = capsys.readouterr()
    assert said.out == ""
    assert "有 2 个工作室的名称含有“劳模”" in said.err
    assert "  王建国劳模创新工作室" in said.err and "  李红劳模创新工作室" in said.err
    assert await invites.invite_studio(svc.settings, "不存在", FRIDAY, None) == 1
    assert "没有名称为“不存在”或含有“不存在”的工作室" in capsys.readouterr().err

    # The ledger's --studio reads the same way.
    assert await ledger.export_ledger(svc.settings, "2026-11", "焊接", str(tmp_path), FRIDAY) == 0
    assert (tmp_path / f"{WELDERS}-2026-11.xlsx").exists()
    assert await ledger.export_ledger(svc.settings, "2026-11", "工作室", str(tmp_path),
                                      FRIDAY) == 2
    assert "有 3 个工作室" in capsys.readouterr().err
