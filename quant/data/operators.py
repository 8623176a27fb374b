"""The node-attribute constructions of dyad formulas (``sum(x)``, ``absdiff(x)``…), by name.

A module of its own so that the formula guard can name them without importing ``quant.data.dyads``
(whose table readers load the corpus and store packages: ≈ 50 MB and 0.9 s of imports that a
model fit does not need).
"""
from __future__ import annotations

__all__ = ["OPERATORS"]

#: Node-attribute constructions, each symmetric in (i, j); column name ``<op>_<variable>``.
OPERATORS = ("sum", "absdiff", "min", "max", "product", "same", "both")
