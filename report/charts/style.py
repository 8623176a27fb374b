"""Shared chart styling: the CJK font, sizes and the dimension colours.

``FONT`` is "Noto Sans CJK SC" (Debian/Ubuntu package fonts-noto-cjk, installed by ``.ci/run``);
Vega falls back to the renderer's default font when it is missing, which shows Chinese as boxes,
so :func:`report.charts.export.font_status` reports whether it was found.
"""
from __future__ import annotations

import altair as alt

__all__ = ["FONT", "DIMENSION_COLOURS", "DIMENSION_LABELS", "CASE_COLOURS", "styled", "inline"]

FONT = "Noto Sans CJK SC"

DIMENSION_LABELS = {"breadth": "广度 breadth", "connection": "连接 connection", "degree": "深度 degree"}
DIMENSION_COLOURS = {"breadth": "#1b9e77", "connection": "#d95f02", "degree": "#7570b3"}
CASE_COLOURS = {"deviant": "#d62728", "typical": "#1f77b4", "other": "#bbbbbb"}


def styled(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` with the CJK font on titles, axes, legends, headers and text marks."""
    return (
        chart.configure(font=FONT)
        .configure_title(font=FONT, anchor="start")
        .configure_axis(labelFont=FONT, titleFont=FONT)
        .configure_legend(labelFont=FONT, titleFont=FONT)
        .configure_header(labelFont=FONT, titleFont=FONT)
        .configure_text(font=FONT)
    )


def inline(frame) -> alt.Data:
    """``frame`` (DataFrame) as inline Vega-Lite values: NaN becomes null, and no row limit
    (Altair's 5,000-row guard is for data sent to a browser; these charts carry what they draw)."""
    import json

    return alt.Data(values=json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso")))
