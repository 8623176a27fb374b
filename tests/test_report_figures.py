"""Figures in report drafts (report.figures): HTML <img> data URIs, DOCX inline pictures, Markdown
PNG files beside the draft, numbered captions and alt text, the coefficient plot's data equal to the
runs' estimates, and no network while rendering (socket guard)."""
from __future__ import annotations

import base64
import io
import re
import socket
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import store
from quant.runs import saved as qruns
from report.draft import build_context, render_context, write_context
from report.run_sections import load_runset
from demo_runs import RUN_NAMES, build_demo_with_runs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Demo: three runs; connection and degree are dyad runs, each with a map of deviant pairs.
N_FIGURES = 1 + 3 + 2


class NetworkUsed(AssertionError):
    pass


def _refuse(*args, **kwargs):
    raise NetworkUsed(f"network access attempted: {args[1:]!r}")


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    """Demo with three saved runs; the context (with figures), HTML, DOCX and the Markdown file,
    all built with socket.connect refused."""
    root = tmp_path_factory.mktemp("figures")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        mp.setattr(socket.socket, "connect_ex", _refuse)
        engine = build_demo_with_runs(root / "demo.sqlite")
        try:
            with store.session_scope(engine) as s:
                runset = load_runset(s)
                params = {dim: run.result.params.copy() for dim, run in runset.runs.items()}
                units = {dim: run.result.units.copy() for dim, run in runset.runs.items()}
                ctx = build_context(s, runset, generated="2026-01-02")
                md_path = write_context(ctx, root / "F.md")
                html = render_context(ctx, "html")
                docx = render_context(ctx, "docx")
        finally:
            engine.dispose()
    return {"root": root, "ctx": ctx, "html": html, "docx": docx, "md_path": md_path, "params": params,
            "units": units}


class _Figures(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.captions, self._in_cap = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs))
        self._in_cap = self._in_cap or tag == "figcaption"
        if tag == "figcaption":
            self.captions.append("")

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_cap = False

    def handle_data(self, data):
        if self._in_cap:
            self.captions[-1] += data


def test_html_draft_embeds_numbered_figures_with_alt_text(drafted):
    parser = _Figures()
    parser.feed(drafted["html"])
    assert len(parser.imgs) == N_FIGURES
    assert [c.split(".")[0] for c in parser.captions] == [f"Figure {n}" for n in range(1, N_FIGURES + 1)]
    for img in parser.imgs:
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1])[:8] == PNG_SIGNATURE
        assert len(img["alt"].strip()) > 40
    # no external reference anywhere: a single self-contained file
    assert not re.search(r'src="(?!data:)', drafted["html"])
    # the alt texts name the run, and the map ones what is marked
    alts = [img["alt"] for img in parser.imgs]
    assert RUN_NAMES["breadth"] in alts[1] and "deviant" in alts[1]
    maps = [a for a in alts if a.startswith("Map of")]
    assert len(maps) == 2 and RUN_NAMES["connection"] in maps[0] and RUN_NAMES["degree"] in maps[1]


def test_figure_captions_count_the_deviant_cases_of_each_run(drafted):
    figs = drafted["ctx"]["figures"]["all"]
    for fig in figs[1:]:
        dim = fig["key"]
        n_dev = int((np.abs(drafted["units"][dim]["pearson"].to_numpy(dtype=float)) > 2.0).sum())
        assert f" {n_dev:,} " in fig["caption"], (fig["caption"], n_dev)
        assert RUN_NAMES[dim] in fig["caption"]


def test_docx_draft_has_inline_pictures_and_captions(drafted):
    from docx import Document

    doc = Document(io.BytesIO(drafted["docx"]))
    assert len(doc.inline_shapes) == N_FIGURES
    descr = [shape._inline.docPr.get("descr") for shape in doc.inline_shapes]
    assert all(d and len(d) > 40 for d in descr)
    captions = [p.text for p in doc.paragraphs if p.text.startswith("Figure ")]
    assert [c.split(".")[0] for c in captions] == [f"Figure {n}" for n in range(1, N_FIGURES + 1)]
    cap = next(p for p in doc.paragraphs if p.text.startswith("Figure 2."))
    assert RUN_NAMES["breadth"] in cap.text  # 广度 1: Chinese in the caption, with a CJK font
    fonts = cap.runs[0]._element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    # each caption directly follows its picture's paragraph
    paras = doc.paragraphs
    for k, p in enumerate(paras):
        if p.text.startswith("Figure ") and ". " in p.text[:12]:
            assert paras[k - 1]._p.xpath(".//wp:inline"), p.text[:20]


def test_markdown_links_resolve_to_png_files(drafted):
    text = drafted["md_path"].read_text(encoding="utf-8")
    links = re.findall(r"!\[([^\]]*(?:\\\][^\]]*)*)\]\(([^)]+)\)", text)
    assert len(links) == N_FIGURES
    for k, (alt, src) in enumerate(links, start=1):
        assert src == f"F_files/figure-{k}.png"
        target = drafted["md_path"].parent / src
        assert target.read_bytes()[:8] == PNG_SIGNATURE
        assert alt.strip()
        assert f"*Figure {k}. " in text


def _records(spec) -> list[dict]:
    """Every inline data record of a Vega-Lite spec (``datasets`` and any ``data.values``)."""
    out = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("values",) and isinstance(value, list):
                out += [v for v in value if isinstance(v, dict)]
            elif key == "datasets" and isinstance(value, dict):
                for rows in value.values():
                    out += [v for v in rows if isinstance(v, dict)]
            else:
                out += _records(value)
    elif isinstance(spec, list):
        for item in spec:
            out += _records(item)
    return out


def test_coefficient_plot_holds_each_runs_estimates(drafted):
    fig = drafted["ctx"]["figures"]["coefficients"]
    spec = fig["spec"]
    values = [v for v in _records(spec) if "estimate" in v]
    got = {(v["dimension"], v["term"]): v["estimate"] for v in values}
    expected = {}
    for dim, params in drafted["params"].items():
        for term, value in params.items():
            if term not in ("Intercept", "const", "alpha"):
                expected[(dim, str(term))] = float(value)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-10)  # JSON keeps 10 digits


def test_residual_plot_data_are_the_runs_residuals(drafted):
    fig = drafted["ctx"]["figures"]["by_key"]["breadth"][0]
    values = [v for v in _records(fig["spec"]) if "pearson" in v]
    got = sorted(v["pearson"] for v in values)
    want = sorted(drafted["units"]["breadth"]["pearson"].to_numpy(dtype=float))
    assert np.allclose(got, want)


def test_draft_without_figures_has_none(drafted):
    ctx = dict(drafted["ctx"])
    ctx["figures"] = {"coefficients": None, "by_key": {}, "all": [], "notes": []}
    ctx["dimensions"] = [{**d, "figures": []} for d in ctx["dimensions"]]
    html = render_context(ctx, "html")
    assert "<img" not in html and "<figure" not in html
    (drafted["root"] / "plain").mkdir()
    out = write_context(ctx, drafted["root"] / "plain" / "G.md")
    assert "![" not in out.read_text(encoding="utf-8") and not (out.parent / "G_files").exists()


def test_options_figures_false_skips_rendering(monkeypatch, drafted):
    import report.draft as draft

    def boom(*a, **k):
        raise AssertionError("figures rendered although figures=False")

    monkeypatch.setattr(draft, "build_figures", boom)
    engine = store.connect(drafted["root"] / "demo.sqlite", create=False)
    try:
        with store.session_scope(engine) as s:
            run = qruns.load_run(s, RUN_NAMES["breadth"])
            ctx = build_context(s, {"breadth": run}, figures=False)
    finally:
        engine.dispose()
    assert ctx["figures"]["all"] == [] and ctx["dimensions"][0]["figures"] == []


def test_cli_no_figures_flag_reaches_the_draft(monkeypatch, drafted, tmp_path):
    import report.draft
    from commands.drafts import cmd_report

    seen = {}

    def fake_write(session, runset, path, **kw):
        seen.update(kw)
        Path(path).write_text("draft", encoding="utf-8")
        return Path(path)

    monkeypatch.setattr(report.draft, "write", fake_write)
    from cli import build_parser

    project = str(drafted["root"] / "demo.sqlite")
    args = build_parser().parse_args(["report", "--project", project, "--out", str(tmp_path / "R.md"), "--no-figures"])
    assert args.func is cmd_report and args.no_figures is True
    cmd_report(args)
    assert seen == {"assets": "R_files", "figures": False}
    cmd_report(build_parser().parse_args(["report", "--project", project, "--out", str(tmp_path / "S.html")]))
    assert seen["figures"] is True


def test_figure_text_is_escaped(drafted):
    """A run name is user text: in alt text and captions it stays text (HTML escaped, Markdown
    brackets escaped and tags neutralised)."""
    evil = '"><script>alert(1)</script>] [x](http://evil.example)'
    from report.figures import _md_text

    fig = {**drafted["ctx"]["figures"]["coefficients"], "alt": f"run {evil}", "md_alt": _md_text(f"run {evil}"),
           "caption": f"Figure 1. run {evil}"}
    ctx = {**drafted["ctx"], "figures": {**drafted["ctx"]["figures"], "coefficients": fig}}
    html = render_context(ctx, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = render_context(ctx, "md")
    line = next(ln for ln in md.splitlines() if ln.startswith("![run "))
    assert "<script>" not in line and "\\]" in line
    assert re.fullmatch(r"!\[(?:[^\]\\]|\\.)*\]\(data:image/png;base64,[A-Za-z0-9+/=]+\)", line)


def test_report_page_figures_toggle(tmp_path, monkeypatch):
    """The Report page's "Figures" toggle decides whether the draft renders figures."""
    from streamlit.testing.v1 import AppTest

    import report.draft as draft
    from tests import quant_small_project as small

    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    small.build(engine)
    with store.session_scope(engine) as s:
        qruns.fit_and_save(s, "连接 1", "connection", formula="connection ~ log_distance")
    engine.dispose()
    calls = []

    def counted(session, runs, **kw):
        calls.append(sorted(runs))
        return {"coefficients": None, "by_key": {}, "all": [], "notes": []}

    monkeypatch.setattr(draft, "build_figures", counted)
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "workbench.py"), default_timeout=120)
    at.run()
    at.switch_page("ui/report.py")
    at.run()
    assert at.toggle(key="report_figures").value is True
    at.toggle(key="report_figures").set_value(False)
    at.button(key="report_draft").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert calls == [] and len(at.get("download_button")) == 1
    at.toggle(key="report_figures").set_value(True)
    at.button(key="report_draft").click()
    at.run()
    assert not at.exception and calls == [["connection"]]
