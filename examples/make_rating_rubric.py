"""Writes examples/rating-rubric.xlsx, an example of the union's star-rating rubric:
`python examples/make_rating_rubric.py` (then `workshop-bot rating rubric import
examples/rating-rubric.xlsx`).

The items follow what unions publish about rating 劳模和工匠人才创新工作室: the 三有 principle
(a name, a plaque, a team), the eight standards (标志明显、场所固定、设施齐全、组建团队、
制度完善、经费到位、台帐详实、成效明显), the outcomes (topics brought to acceptance, patents
and other results, economic benefit, implemented suggestions) and the expert review's site
visit and presentation. Items the service can measure from its records are scored
automatically (docs/operators.md describes the 评分方式 column); the rest are scored by
the experts. A local union edits the points and scales to its own rules: the figures below
are an example, not policy.
"""

# The criteria are data, one string each: long lines read better than broken ones here.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

COLUMNS = ("编号", "类别", "指标", "分值", "评分方式", "评分标准")

# (编号, 类别, 指标, 分值, 评分方式, 评分标准)
ITEMS: list[tuple[str, str, str, float, str, str]] = [
    ("A1", "三有·基本条件", "标志明显", 5, "manual",
     "以劳模或工匠人才的名字命名；门口悬挂工会统一制作的标牌；室内展示工作室简介、领衔人、团队、制度和成果。"),
    ("A2", "三有·基本条件", "场所固定", 5, "manual",
     "有固定的活动场所，满足研讨、试验和展示需要，不与其他部门混用。"),
    ("A3", "三有·基本条件", "设施齐全", 5, "manual",
     "配备攻关、研讨、培训所需的电脑、投影、试验检测设备和资料柜等。"),
    ("B1", "组建团队", "团队结构", 4, "manual",
     "除领衔人外成员不少于 3 人，专业、年龄结构合理，分工明确，领衔人作用突出。"),
    ("B2", "组建团队", "成员在线留痕", 4, "members_bound 80%:2 90%:3 100%:4",
     "成员绑定创新工作室助手的比例：达 80% 得 2 分，90% 得 3 分，全部绑定得 4 分。"),
    ("B3", "组建团队", "师徒传技", 6, "checkins_per_pair 6:2 12:4 24:6",
     "评定期内每对师徒经师傅确认的打卡次数：达 6 次得 2 分，12 次得 4 分，24 次得 6 分。"),
    ("C1", "制度完善", "管理制度", 6, "manual",
     "有工作室管理、团队学习、项目攻关、师徒结对、成果申报奖励、经费管理等制度并上墙执行。"),
    ("C2", "经费到位", "经费保障", 5, "manual",
     "运行经费列入单位年度预算，专款专用、单独建账，使用情况记入台帐。"),
    ("D1", "台帐详实", "周报提交率", 6, "log_rate 60%:2 75%:4 90%:6",
     "评定期内成员应交周报的提交率：达 60% 得 2 分，75% 得 4 分，90% 得 6 分。"),
    ("D2", "台帐详实", "台帐齐全月份", 5, "ledger_months min=90% 4:1 8:3 12:5",
     "周报提交率达 90% 且师徒打卡不少于结对数的月份：4 个月得 1 分，8 个月得 3 分，12 个月得 5 分。"),
    ("E1", "成效明显", "课题攻关", 9, "topics_accepted per=3 cap=9",
     "评定期内通过验收或推广应用的课题，每项 3 分，最高 9 分。"),
    ("E2", "成效明显", "创新成果", 12,
     "results invention_patent=4 utility_model=2 software_copyright=2 qc_result=2 award=2 design_patent=1 five_small=1 paper=1 cap=12",
     "评定期内登记并经领衔人认定的成果：发明专利 4 分，实用新型、软件著作权、QC成果、竞赛获奖各 2 分，外观设计、五小成果、论文各 1 分，最高 12 分。"),
    ("E3", "成效明显", "经济效益", 6, "benefit step=10 per=1 cap=6",
     "经认定成果的经济效益，每满 10 万元得 1 分，最高 6 分。"),
    ("E4", "成效明显", "合理化建议", 5, "suggestions_implemented per=1 cap=5",
     "评定期内提出并已实施的合理化建议，每条 1 分，最高 5 分。"),
    ("E5", "成效明显", "示范带动", 4, "manual",
     "成果在本单位和行业内推广，开展技术交流、培训带徒，发挥示范引领作用。"),
    ("F1", "专家评审", "现场核查", 5, "manual",
     "专家实地查看场所、设施、台帐和成果实物，核实申报材料。"),
    ("F2", "专家评审", "现场答辩", 8, "manual",
     "领衔人汇报工作室建设、攻关成果和下一步计划，回答专家提问。"),
]

# The stars' thresholds: rows whose 编号 is the stars, with the least score in 分值.
STARS: list[tuple[str, float]] = [("★★★", 85), ("★★", 75), ("★", 60)]

OUTPUT = Path(__file__).with_name("rating-rubric.xlsx")


def main(path: Path = OUTPUT) -> None:
    import io
    import re
    import zipfile
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "星级评定标准"
    sheet.append(COLUMNS)
    for row in ITEMS:
        sheet.append(row)
    sheet.append(())
    for stars, least in STARS:
        sheet.append((stars, "星级", "", least, "", f"总分达到 {least:g} 分"))
    for column, width in zip("ABCDEF", (8, 16, 16, 8, 44, 80), strict=True):
        sheet.column_dimensions[column].width = width
    # Fixed timestamps (the workbook's and the zip entries') keep the file the same from one
    # run to the next.
    wb.properties.created = wb.properties.modified = datetime(2026, 12, 1)
    buffer = io.BytesIO()
    wb.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 12, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-12-01T00:00:00Z",
                              data)
            dst.writestr(fixed, data)
    path.write_bytes(out.getvalue())


if __name__ == "__main__":
    main()
