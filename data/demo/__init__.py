"""The embedded demo project: real facts, SIMULATED outcomes, an illustrative corpus.

- ``facts``: the 155 cities (names, adcodes, coordinates, 2020 census, strategy flags) and
  shared borders (from boundary polygons), from committed CSV files written by ``make_facts.py``;
- ``covariates``: dyad covariates derived from the facts (names are a contract);
- ``simulate``: the seeded data-generating process of connection, degree and breadth
  (truth in ``truth.json``, explained in ``SIMULATION.md``);
- ``qualitative``: the illustrative documents and their codings (by quote);
- ``build``: ``build_demo(target)``, ``ensure_demo()``, ``default_demo_path()``.
"""
from data.demo.build import DemoBuildError, build_demo, default_demo_path, demo_tables, ensure_demo
from data.demo.qualitative import DemoDataError
from data.demo.simulate import SIMULATED_NOTE, load_truth, simulate_outcomes

__all__ = [
    "DemoBuildError", "DemoDataError", "SIMULATED_NOTE", "build_demo", "default_demo_path", "demo_tables",
    "ensure_demo", "load_truth", "simulate_outcomes",
]
