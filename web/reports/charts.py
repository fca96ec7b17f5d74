"""The report pages' charts: SVG drawn on the server with pygal, readable without JavaScript.

A chart is inline SVG in the page. pygal puts a <style> and a <script> (its tooltips) in
every chart; a page keeps neither — its Content-Security-Policy allows no inline script or
style — and takes the charts' styles from one stylesheet (:func:`stylesheet`) made from
pygal's own, with each palette's rules under a class of its own instead of a chart's id.
Without tooltips, the values are printed on the bars and points. A PDF keeps each chart's
own <style> (WeasyPrint applies a page's stylesheets to HTML, not inside inline SVG).

Chinese labels need a CJK font where the SVG turns into pixels: the browser's own, or
Debian's fonts-noto-cjk for WeasyPrint.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

FONTS = ("'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC',"
         "'Hiragino Sans GB','Microsoft YaHei',sans-serif")
WIDTH = 400  # the viewBox: the SVG scales to the page's width, so a phone sees it whole
BAR_ROW = 30  # height per bar of a horizontal chart
LABEL_SIZE = 13  # px: the axes' labels


@dataclass(frozen=True)
class Palette:
    """Colours by series, under a CSS class of their own (wb-<name>)."""

    name: str
    colors: tuple[str, ...]

    @property
    def css_class(self) -> str:
        return f"wb-{self.name}"


# A figure and what it is measured against: the studio's red, the reference's grey.
PAIR = Palette("pair", ("#c8322f", "#b8c0c8", "#2c7fb8", "#e69b23", "#3a9a4f", "#7d4fa0"))
# Series of equal standing (topics): distinct colours.
MULTI = Palette("multi", ("#c8322f", "#2c7fb8", "#e69b23", "#3a9a4f", "#7d4fa0", "#17a2a2",
                          "#d4652f", "#5b6770", "#b5a000", "#d9589c", "#1f5f8b", "#8c564b"))
PALETTES = (PAIR, MULTI)
MAX_SERIES = len(MULTI.colors)  # the stylesheet has rules for this many series


def _style(palette: Palette) -> Style:
    return Style(
        background="transparent", plot_background="#ffffff", value_background="#ffffff",
        foreground="#333333", foreground_strong="#222222", foreground_subtle="#8a8a8a",
        opacity=".9", opacity_hover="1", transition="0s", colors=palette.colors,
        font_family=FONTS, label_font_size=LABEL_SIZE, major_label_font_size=LABEL_SIZE,
        value_font_size=12, value_label_font_size=12, legend_font_size=13,
        title_font_size=15, tooltip_font_size=12, no_data_font_size=16,
        guide_stroke_color="#dddddd", major_guide_stroke_color="#cccccc")


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _cleaner(palette: Palette, inline: bool) -> Callable[[ET.Element], ET.Element]:
    """An xml filter: pygal's script, tooltip layer and comments out; for a page also its
    <style> and id (the stylesheet has the rules), with the palette's class in their place."""

    def clean(root: ET.Element) -> ET.Element:
        for parent in root.iter():
            for child in list(parent):
                name = _local(child.tag)
                if not name:  # a comment: pygal's credits
                    parent.remove(child)
                elif name == "script" or (name == "style" and not inline):
                    parent.remove(child)
                elif name == "g" and "tooltip-overlay" in child.get("class", ""):
                    parent.remove(child)
                elif child.get("id", "").startswith("activate-serie"):
                    # The same id in every chart of a page: its script's handle, unused.
                    child.attrib.pop("id")
        if not inline:
            root.attrib.pop("id", None)
            root.set("class", f"{root.get('class', '')} wb-chart {palette.css_class}".strip())
        root.set("role", "img")
        return root

    return clean


def _base(kind: type[Any], palette: Palette, inline: bool, title: str, height: int,
          **options: Any) -> Any:
    settings: dict[str, Any] = {
        "js": [], "disable_xml_declaration": True, "style": _style(palette), "width": WIDTH,
        "height": height, "title": title, "legend_at_bottom": True,
        "legend_at_bottom_columns": 2, "truncate_legend": -1, "truncate_label": -1,
        "margin": 8, "spacing": 8, "print_values": True, "print_zeroes": False,
        "value_formatter": number, "no_data_text": "-",
    }
    settings.update(options)
    chart = kind(**settings)
    chart.add_xml_filter(_cleaner(palette, inline))
    return chart


def _label_room(labels: Sequence[str], font_size: int) -> int:
    """The extra left margin the longest label needs: pygal reckons every character 0.6 em
    wide, and a Chinese one takes a whole em."""
    wide = max((sum(1 for ch in label if unicodedata.east_asian_width(ch) in "WF")
                for label in labels), default=0)
    return math.ceil(wide * 0.4 * font_size)


def _whole_ticks(values: Sequence[float], most: int = 6) -> list[int]:
    """Axis ticks for counts: whole numbers only (no 0.2 of a check-in)."""
    top = max([1, *(math.ceil(v) for v in values)])
    step = max(1, math.ceil(top / most))
    return list(range(0, top + step, step))


def number(value: float | None) -> str:
    """1.0 → 1, 2.5 → 2.5, 12.345 → 12.3 (a chart's figures)."""
    if value is None:
        return ""
    return f"{round(value, 1):g}"


def _svg(chart: Any) -> Markup:
    # pygal escapes every text it writes; the Markup only says so to Jinja.
    return Markup(chart.render(is_unicode=True))


class Charts:
    """Draws the report charts for one destination: a page (`inline` False) or a PDF."""

    def __init__(self, *, inline: bool = False) -> None:
        self.inline = inline

    def bars(self, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
             *, horizontal: bool = False, stacked: bool = False, palette: Palette = PAIR,
             max_value: float | None = None, formatter: Callable[[float | None], str] = number,
             counts: bool = True) -> Markup:
        """Bars, one group per label (top to bottom when `horizontal`), one bar or stacked
        part per series; `counts`: the axis has whole numbers only."""
        kind = {(False, False): pygal.Bar, (True, False): pygal.HorizontalBar,
                (False, True): pygal.StackedBar, (True, True): pygal.HorizontalStackedBar}[
            (horizontal, stacked)]
        labels = list(labels)
        values = [list(v) for _name, v in series]
        if horizontal:  # pygal stacks the first label at the bottom
            labels.reverse()
            for v in values:
                v.reverse()
        rows = max(1, len(labels))
        legend = len(series) > 1
        height = (70 + BAR_ROW * rows * (1 if stacked else max(1, len(series)))
                  if horizontal else 250) + (30 if legend else 0)
        options: dict[str, Any] = {"value_formatter": formatter, "show_legend": legend}
        if horizontal:
            options["margin_left"] = 8 + _label_room(labels, LABEL_SIZE)
        if max_value is not None:
            options["range"] = (0, max_value)
        elif counts:
            totals = ([sum(col) for col in zip(*values, strict=True)] if stacked
                      else [x for v in values for x in v])
            options["y_labels"] = _whole_ticks(totals)
        chart = _base(kind, palette, self.inline, title, height, **options)
        chart.x_labels = labels
        for (name, _v), v in zip(series, values, strict=True):
            chart.add(name, v)
        return _svg(chart)

    def lines(self, title: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[float | None]]], *,
              max_value: float | None = None, palette: Palette = PAIR) -> Markup:
        """Lines over `labels` (months): a gap where a series has no value. The first
        series' values are printed by its points; the others' (a reference, such as the
        union's median) are not, so that two lines' figures do not overlap."""
        options: dict[str, Any] = {"allow_interruptions": True, "show_dots": True,
                                   "dots_size": 3, "x_label_rotation": 0,
                                   "print_values": False, "print_labels": True,
                                   "margin_right": 36, "show_legend": len(series) > 1}
        if max_value is not None:
            options["range"] = (0, max_value)
        chart = _base(pygal.Line, palette, self.inline, title, 260, **options)
        chart.x_labels = list(labels)
        for i, (name, values) in enumerate(series):
            chart.add(name, [{"value": v, "label": number(v)} if i == 0 and v is not None
                             else v for v in values])
        return _svg(chart)

    def timeline(self, title: str, series: Sequence[tuple[str, Sequence[dict[str, Any]]]],
                 *, ticks: Sequence[Any], label_of: Callable[[Any], str],
                 max_value: float = 100,
                 formatter: Callable[[float | None], str] = number) -> Markup:
        """Points in time per series: each point a dict with value (x, y) and, for a point to
        mark, a label printed beside it (a topic's status change); `ticks` name the x axis
        (month starts), each worded by `label_of`."""
        chart = _base(pygal.DateTimeLine, MULTI, self.inline, title,
                      260 + 22 * ((len(series) + 1) // 2), range=(0, max_value),
                      x_value_formatter=label_of, value_formatter=formatter,
                      print_labels=True, print_values=False, dots_size=3,
                      legend_at_bottom_columns=1, x_label_rotation=0, margin_right=26,
                      x_labels=list(ticks))
        for name, points in list(series)[:MAX_SERIES]:
            chart.add(name, list(points))
        return _svg(chart)


@functools.cache
def stylesheet() -> str:
    """pygal's chart rules for every palette, under each palette's class: what a page's
    charts need, served once as a file instead of inline in every chart."""
    sheets = []
    for palette in PALETTES:
        chart = pygal.Bar(js=[], disable_xml_declaration=True, style=_style(palette))
        for i in range(MAX_SERIES):
            chart.add(str(i), [1])
        root = ET.fromstring(chart.render(is_unicode=True))
        prefix = "#" + root.get("id", "")
        style = next(el for el in root.iter() if _local(el.tag) == "style")
        css = style.text or ""
        # "#chart-<uuid> .axis" and "#chart-<uuid>{…}" (the chart itself).
        scoped = f".wb-chart.{palette.css_class}"
        sheets.append(re.sub(re.escape(prefix) + r"(?=[\s{,.:])", scoped, css))
    return "\n".join(sheets)
