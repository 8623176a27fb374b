"""Figures as Altair charts: maps of cities and pairs, collaboration networks, analysis plots.

Every function is pure (DataFrames, a ``quant.runs.saved.Run`` or a ``FitResult`` in, an Altair chart
out) or takes a ``Session`` first and only reads; none draws map tiles or touches the network.
:mod:`report.charts.export` turns a chart into PNG bytes or SVG text with vl-convert, offline,
using the CJK font :data:`report.charts.style.FONT` so Chinese names render.

- :mod:`report.charts.map` — ``map_tables`` / ``map_data`` / ``city_map``
- :mod:`report.charts.network` — ``network_tables`` / ``network_chart``
- :mod:`report.charts.plots` — coefficient plot across dimensions, observed vs predicted,
  residuals with case types, breadth vs mean degree with Mark-coded cities, code frequencies
- :mod:`report.charts.export` — ``to_png``, ``to_svg``
"""
