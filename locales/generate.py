"""Generate the Traditional Chinese catalog from the Simplified one: ``python -m locales.generate``.

OpenCC's ``s2twp`` (Taiwan standard characters — 為, 裡, 著, 啟 rather than OpenCC's own 爲,
裏, 着, 啓 — and Taiwan's words for mainland terms: 設置 → 設定, 數據 → 資料, 導入/導出 →
匯入/匯出, 網絡 → 網路, 軟件 → 軟體) converts each message; the term review below then
fixes what the conversion gets wrong for this domain's readers — the union documents from Tianjin written
in Traditional characters, and Hong Kong and Taiwan factories:

- 臺 → 台 (台帳, 平台, 後台): s2tw writes the formal 臺 everywhere; business writing in
  both Hong Kong and Taiwan uses 台, and 台帳 is how the ledger is named in the documents.
- 賬 → 帳 (帳號, 台帳): the Taiwan standard form for accounts and ledgers.
- 周 as a week is 週 (OpenCC's phrase table handles 周报/本周/周日; 周 alone after a
  number, as in 「第49周」「第45—48周」「4 周」, and 周次 are fixed here), but 周 the
  surname stays (no message uses it).
- 回复 "reply" is 回覆: s2tw writes 回復 (recover) or, in 「回复数字」, reads 复数 "plural"
  and writes 回複數字 — a term error no character table can see.
- 默认 is 預設 and 消息 is 訊息 (message): the Traditional-script terms both Taiwan's and
  Hong Kong's software use; 默認 and 消息 read as mainland terms in Traditional dress.
- 联系 is 聯絡 (get in touch), 二维码 is QR碼, and quotation marks are 「」, as Traditional
  text in Taiwan and Hong Kong writes them.
- 绑定 stays 綁定, not s2twp's 繫結: it is a command word the reply tells people to type,
  and 繫結 would not fold back to 绑定 (every command word in the text must route).

A test regenerates the catalog and compares it with the committed one, so a change to the
Simplified catalog cannot leave the Traditional one behind. Words a person should review
rather than a table (idiom, tone) are reviewed in the committed file's diff.
"""

from __future__ import annotations

import functools
import io
import re
import sys
from collections.abc import Callable

from locales import FOLDERS, catalog_path, messages

TERM_FIXES: tuple[tuple[str, str], ...] = (
    ("臺", "台"),
    ("賬", "帳"),
    ("回複", "回覆"),
    ("回復", "回覆"),
    ("默認", "預設"),
    ("消息", "訊息"),
    ("聯繫", "聯絡"),
    ("繫結", "綁定"),
    ("二維碼", "QR碼"),
    ("周次", "週次"),
    ("“", "「"),
    ("”", "」"),
)
# A number of weeks or a week's number: 第49周, 第{first}—{last}周, {n} 周.
_WEEK_NUMBER = re.compile(r"(\{[a-z_]+\}|\d+)( ?)周")

HEADER = (
    "# Traditional Chinese (zh-TW): GENERATED from the Simplified catalog by\n"
    "# `python -m locales.generate` (OpenCC s2tw and the term review in locales/generate.py).\n"
    "# Edit the Simplified catalog, not this file.\n"
)


@functools.cache
def _converter() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("s2twp").convert


def to_traditional(text: str) -> str:
    converted = str(_converter()(text))
    for wrong, right in TERM_FIXES:
        converted = converted.replace(wrong, right)
    return _WEEK_NUMBER.sub(lambda m: f"{m.group(1)}{m.group(2)}週", converted)


def zh_tw_catalog() -> str:
    """The zh-TW .po text for the current zh-CN catalog (keys, comments and order kept)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    with catalog_path("zh-CN").open("rb") as fh:
        source = read_po(fh, locale=FOLDERS["zh-CN"])
    # Fragments still being merged count as part of the source.
    merged = dict(messages("zh-CN"))
    target = Catalog(locale=FOLDERS["zh-TW"], project="workshop-bot", version="1", fuzzy=False)
    comments = {str(m.id): m.auto_comments for m in source if m.id}
    for key in _ordered_keys(source, merged):
        target.add(key, string=to_traditional(merged[key]),
                   auto_comments=comments.get(key, []), flags=("python-brace-format",)
                   if "{" in merged[key] else ())
    out = io.BytesIO()
    write_po(out, target, width=0, omit_header=False, sort_output=False)
    body = out.getvalue().decode("utf-8")
    # Babel's header carries a creation date; the file must be reproducible.
    body = re.sub(r'"POT-Creation-Date: [^"]*\\n"\n', "", body)
    body = re.sub(r'"PO-Revision-Date: [^"]*\\n"\n', "", body)
    for field in ("Generated-By", "Report-Msgid-Bugs-To", "Last-Translator", "Language-Team"):
        body = re.sub(rf'"{field}: [^"]*\\n"\n', "", body)
    body = "\n".join(line for line in body.splitlines() if not line.startswith("# ")
                     and line != "#") + "\n"
    return HEADER + body.lstrip("\n")


def _ordered_keys(source: object, merged: dict[str, str]) -> list[str]:
    order = [str(m.id) for m in source if m.id]  # type: ignore[attr-defined]
    return [k for k in order if k in merged] + sorted(k for k in merged if k not in order)


def main() -> int:
    path = catalog_path("zh-TW")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(zh_tw_catalog(), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
