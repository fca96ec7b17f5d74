"""Characters a pinyin input method puts in place of one another: 周抱 for 周报, 帮组 for 帮助,
我得 for 我的. Routing's did-you-mean counts such a swap as half a typo.

No pinyin library is a dependency, so the table covers the characters of the command words
(in their Simplified form, as routing folds what is typed): each group is one sound, or
sounds a hurried or regional typist confuses (z/zh, c/ch, s/sh, n/l, in/ing, en/eng).
Two characters are confusable when some group holds both. This is data for matching what
people type, not words anyone reads; a language that needs the same adds its own groups.
"""

from __future__ import annotations

import functools

GROUPS: tuple[str, ...] = (
    # 帮助 绑定
    "帮邦绑棒榜", "助组住注祝主著筑", "定订顶丁钉",
    # 取消 退出 退回 菜单
    "取去趣曲区", "消销小晓肖萧", "退推腿", "出初除厨", "回会汇灰", "菜采彩才财", "单担丹但胆",
    # 周报 日志 上周 本周 我的
    "周州洲舟粥轴", "报抱包保宝暴爆豹薄", "日入", "志制治质至只置智", "上尚伤商",
    "本笨奔苯", "我窝握", "的得地德",
    # 打卡 确认 认定
    "打达大搭", "卡咖", "确却缺雀鹊", "认人任仁忍",
    # 通知 建议 成果 采纳 实施
    "通同统桶童", "知之支只直指", "建见件健键剑", "议义意以易亿异艺", "成城程诚承乘",
    "果过国锅", "纳那拉呐", "实时是十石事", "施师诗失湿",
    # 统计 排名 进展 语言
    "计记及技级既纪", "排派牌", "名明命鸣铭", "进近今尽紧劲", "展站占战斩盏",
    "语雨与于鱼宇", "言严盐研颜延炎",
)


@functools.cache
def _groups_of() -> dict[str, frozenset[int]]:
    found: dict[str, set[int]] = {}
    for number, group in enumerate(GROUPS):
        for ch in group:
            found.setdefault(ch, set()).add(number)
    return {ch: frozenset(numbers) for ch, numbers in found.items()}


def confusable(a: str, b: str) -> bool:
    """Whether a pinyin typist may type `a` meaning `b` (or the reverse); not for a == b."""
    groups = _groups_of()
    return bool(groups.get(a, frozenset()) & groups.get(b, frozenset()))
