"""Charts to PNG bytes and SVG text with vl-convert, offline.

vl-convert bundles Vega and Vega-Lite and renders in-process (no browser, no CDN). External
data loading is switched off (``allowed_base_urls=[]``), so a chart naming a data URL fails
with :class:`~report.errors.ReportError` instead of reaching the network; Tandem's charts carry
their data inline. Fonts: the system fonts plus, when present, the Noto CJK directory, so
``style.FONT`` ("Noto Sans CJK SC") renders Chinese text.
"""
from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache

import altair as alt

from i18n import _
from report.charts.style import FONT
from report.errors import ReportError

__all__ = ["to_png", "to_svg", "chart_spec", "font_status"]

_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/noto-cjk")
MAX_SCALE = 8.0


@lru_cache(maxsize=1)
def _converter():
    import vl_convert

    for d in _FONT_DIRS:
        if os.path.isdir(d):
            vl_convert.register_font_directory(d)
    return vl_convert


def font_status() -> dict:
    """``{"font": FONT, "available": bool}``: whether fontconfig knows the CJK font (``fc-list``)."""
    try:
        out = subprocess.run(["fc-list", ":family"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    return {"font": FONT, "available": FONT in out}


def chart_spec(chart) -> dict:
    """The Vega-Lite specification (dict) of an Altair chart or a spec dict.

    Raises
    ------
    ReportError
        ``chart`` is neither.
    """
    if isinstance(chart, dict):
        return chart
    if isinstance(chart, alt.TopLevelMixin):
        return json.loads(chart.to_json(validate=True))
    raise ReportError(_("A chart must be an Altair chart or a Vega-Lite dict, not {type}.")
                      .format(type=type(chart).__name__))


def _run(func, spec: dict, **kwargs):
    try:
        return func(spec, allowed_base_urls=[], **kwargs)
    except Exception as exc:  # vl-convert raises ValueError with the JS error text
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and not ln.strip().startswith("at ")]
        text = lines[-1].removeprefix("Error: ")[:200] if lines else type(exc).__name__
        raise ReportError(_("The chart could not be drawn ({text}).").format(text=text)) from None


def to_png(chart, scale: float = 2) -> bytes:
    """PNG image bytes of ``chart`` (Altair chart or Vega-Lite dict) at ``scale`` × its size.

    Raises
    ------
    ReportError
        ``scale`` not in (0, 8], or the chart cannot be drawn (e.g. it names an external data URL).
    """
    if not isinstance(scale, (int, float)) or not 0 < scale <= MAX_SCALE:
        raise ReportError(_("The PNG scale must be a number above 0 and at most {max_scale:g}, not {scale!r}.")
                          .format(max_scale=MAX_SCALE, scale=scale))
    return _run(_converter().vegalite_to_png, chart_spec(chart), scale=float(scale))


def to_svg(chart) -> str:
    """SVG text of ``chart`` (Altair chart or Vega-Lite dict).

    Raises
    ------
    ReportError
        The chart cannot be drawn (e.g. it names an external data URL).
    """
    return _run(_converter().vegalite_to_svg, chart_spec(chart))
