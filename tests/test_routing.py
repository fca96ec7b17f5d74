"""Command matching rules, without the network (the endpoint tests cover the rest)."""

from __future__ import annotations

import pytest

from bot.context import Incoming
from bot.routing import Command, normalise, suggest, typo_distance


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("周报 今天调试了设备", "今天调试了设备"),
        ("周报：今天调试了设备", "今天调试了设备"),
        ("周报:今天调试了设备", "今天调试了设备"),
        ("周报今天调试了设备", "今天调试了设备"),
        ("LOG 今天", "今天"),
        ("ｌｏｇ　今天", "今天"),
        ("日志，今天", "今天"),
        ("周报", ""),
        ("  周报  ", ""),
    ],
)
def test_command_with_arguments(text: str, args: str) -> None:
    cmd = Command(words=("周报", "日志"), aliases=("log",), takes_args=True)
    assert cmd.match(text) == args


def test_arguments_keep_the_users_own_punctuation() -> None:
    cmd = Command(words=("周报",), aliases=("log",), takes_args=True)
    assert cmd.match("周报：完成１号线，ＱＣ小组会") == "完成１号线，ＱＣ小组会"


@pytest.mark.parametrize("text", ["logbook", "周", "上周周报 内容", "我的周报"])
def test_not_this_command(text: str) -> None:
    cmd = Command(words=("周报",), aliases=("log",), takes_args=True)
    assert cmd.match(text) is None


def test_a_command_without_arguments_needs_the_whole_message() -> None:
    cmd = Command(words=("我的",), aliases=("me",))
    assert cmd.match("我的") == ""
    assert cmd.match("ME") == ""
    assert cmd.match("我的周报怎么交") is None


def test_question_marks_full_and_half_width() -> None:
    cmd = Command(words=("帮助",), aliases=("help", "?", "？"))
    assert cmd.match("?") == "" and cmd.match("？") == ""


def test_click_key_is_the_first_english_alias() -> None:
    assert Command(words=("帮助",), aliases=("help", "?")).click_key == "CMD_HELP"
    assert Command(words=("上周周报",), aliases=("lastweek",)).click_key == "CMD_LASTWEEK"
    assert Command(words=("菜单",), aliases=("？",)).click_key is None


def test_normalise_folds_width_and_case() -> None:
    assert normalise("ＨＥＬＰ：") == "help:"


def test_dedupe_keys() -> None:
    msg = Incoming(openid="o1", account="gh", msg_type="text", create_time=1, msg_id="9")
    assert msg.dedupe_key == "m:o1:9"
    ev = Incoming(openid="o1", account="gh", msg_type="event", create_time=5, event="subscribe")
    assert ev.dedupe_key == "e:o1:5:subscribe"
    click_a = Incoming(openid="o1", account="gh", msg_type="event", create_time=5,
                       event="click", event_key="CMD_LOG")
    click_b = Incoming(openid="o1", account="gh", msg_type="event", create_time=5,
                       event="click", event_key="CMD_ME")
    assert click_a.dedupe_key != click_b.dedupe_key


@pytest.mark.parametrize(("text", "args"), [("週報 本週完成", "本週完成"), ("幫助", None),
                                            ("確認 3 講解很到位", "3 講解很到位")])
def test_traditional_input_routes_like_simplified(text: str, args: str | None) -> None:
    """週報, 確認, 幫助 fold to 周报, 确认, 帮助 for matching; the arguments stay as typed."""
    log = Command(words=("周报",), aliases=("log",), takes_args=True)
    confirm = Command(words=("确认",), aliases=("confirm",), takes_args=True)
    help_ = Command(words=("帮助",), aliases=("help",))
    if text.startswith("週"):
        assert log.match(text) == args
    elif text.startswith("確"):
        assert confirm.match(text) == args
    else:
        assert help_.match(text) == ""


def test_normalise_folds_traditional_to_simplified() -> None:
    assert normalise("語言 繁體中文") == "语言 繁体中文"
    assert normalise("周报 设备") == "周报 设备"  # Simplified stays as it is


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("我的！", ""), ("我的!", ""), ("我的。", ""), ("「我的」", ""), ("【我的】", ""),
        ("（我的）", ""), ("“我的”", ""), ("  我的 ？", ""), ("[me]", ""),
    ],
)
def test_punctuation_and_brackets_around_a_command_word(text: str, args: str) -> None:
    """The help promises that punctuation around a command does not matter."""
    cmd = Command(words=("我的",), aliases=("me",))
    assert cmd.match(text) == args


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("【周报】测试", "测试"), ("[周报] 测试", "测试"), ("（周报）：测试", "测试"),
        ("「周报」测试", "测试"), ("周报！测试", "测试"), ("周报——测试", "测试"),
        ('"周报" 测试', "测试"),
        # The arguments keep their own brackets and quotes.
        ("周报 【上午】调试", "【上午】调试"), ('周报 "调试" 完成', '"调试" 完成'),
        ("周报（上午）调试", "（上午）调试"),
    ],
)
def test_punctuation_and_brackets_around_a_command_with_arguments(text: str, args: str) -> None:
    cmd = Command(words=("周报",), aliases=("log",), takes_args=True)
    assert cmd.match(text) == args


def test_brackets_do_not_make_a_sentence_a_command() -> None:
    assert Command(words=("我的",), aliases=("me",)).match("【我的】周报怎么交") is None
    assert Command(words=("周报",), takes_args=True).match("（注：周报）") is None


def _commands() -> list[Command]:
    return [Command(words=("帮助",), aliases=("help", "?", "菜单")),
            Command(words=("周报",), aliases=("log", "日志"), takes_args=True),
            Command(words=("上周周报",), aliases=("lastweek",), takes_args=True),
            Command(words=("我的",), aliases=("me",)),
            Command(words=("打卡",), aliases=("checkin",), takes_args=True),
            Command(words=("本周",), aliases=("week",))]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("帮组", "帮助"), ("周抱", "周报"), ("我得", "我的"), ("我得！", "我的"),
        ("【周抱】", "周报"), ("週抱", "周报"), ("hlep", "help"), ("上州周报", "上周周报"),
        ("周抱 今天调试了设备", "周报 今天调试了设备"), ("周抱：今天调试", "周报 今天调试"),
        ("周抱今天调试", "周报 今天调试"), ("打咖 跟师傅学习2小时", "打卡 跟师傅学习2小时"),
        ("chekin 跟师傅", "checkin 跟师傅"),
    ],
)
def test_a_near_miss_suggests_the_command(typed: str, meant: str) -> None:
    found = suggest(typed, _commands())
    assert found is not None and found.text == meant


@pytest.mark.parametrize("typed", ["我们", "周末", "本月", "好的", "谢谢", "帮组我", "我的周报呢",
                                   "今天跟师傅学习焊接2小时", "log", "me", "周报"])
def test_no_suggestion_for_other_words(typed: str) -> None:
    """A two-character word allows only a pinyin slip (我们 is not 我的); short English words
    none; an exact command word is no typo."""
    assert suggest(typed, _commands()) is None


def test_no_suggestion_when_two_commands_are_as_near() -> None:
    commands = [Command(words=("周报",)), Command(words=("舟报",))]
    assert suggest("州报", commands) is None  # a pinyin slip from either
    found = suggest("周抱", commands)  # one slip from 周报, two from 舟报
    assert found is not None and found.text == "周报"


def test_a_pinyin_slip_counts_half() -> None:
    assert typo_distance("周抱", "周报") == 0.5
    assert typo_distance("周末", "周报") == 1.0
    assert typo_distance("报周", "周报") == 1.0  # neighbours swapped: one edit
    assert typo_distance("hlep", "help") == 1.0
