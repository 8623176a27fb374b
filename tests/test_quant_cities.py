"""quant.data.cities: reading tables, resolving city names, the canonical city frame."""
from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from quant.data.cities import load_city_table, normalise_code, read_table, standard_cities
from quant.data.resolver import CityResolver
from quant.errors import AmbiguousCityError, QuantError, UnknownCityError


def _csv_rows(path):
    """The file read with the csv module (independent of pandas), '#' lines skipped."""
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.fixture
def cities(shared):
    return standard_cities(shared("cities", "cities_southeast.csv"))


@pytest.fixture
def resolver(cities):
    return CityResolver(cities)


def test_cities_standard_cities_reads_155_canonical_rows(shared, cities):
    rows = _csv_rows(shared("cities", "cities_southeast.csv"))
    assert list(cities.columns) == ["code", "name", "short_name", "pinyin", "province", "lat", "lon"]
    assert len(cities) == 155 == len(rows)
    assert cities["code"].tolist() == [r["adcode"] for r in rows]
    assert cities["code"].is_unique
    assert str(cities["code"].dtype) == "str" and cities["lat"].dtype == "float64"
    nanjing = cities.set_index("code").loc["320100"]
    assert (nanjing["name"], nanjing["short_name"], nanjing["pinyin"], nanjing["province"]) == ("南京市", "南京", "Nanjing", "江苏省")
    assert nanjing["lat"] == pytest.approx(32.05957) and nanjing["lon"] == pytest.approx(118.796682)
    assert cities["province"].nunique() == 11


def test_cities_census_joins_by_city_code_for_all_155(shared, cities, resolver):
    census = load_city_table(shared("cities", "census2020_city_southeast.csv"), resolver=resolver)
    unmatched = sorted(set(census["code"]) ^ set(cities["code"]))
    assert unmatched == []  # every census row matches a city and every city has census figures
    assert len(census) == 155
    raw = {r["city_code"]: r for r in _csv_rows(shared("cities", "census2020_city_southeast.csv"))}
    merged = cities.merge(census, on="code", how="inner", validate="1:1", suffixes=("", "_census"))
    assert len(merged) == 155
    for row in merged.itertuples():
        assert row.name == raw[row.code]["city"]  # names identical across the two sources
        assert row.popu_2020 == int(raw[row.code]["popu_2020"])
    assert census["popu_2020"].dtype == "int64"
    assert census["household_2020"].dtype == "float64"
    # 周口市 has no urban/rural split in the census file: kept as missing, not dropped
    assert pd.isna(census.set_index("code").loc["411600", "popu_urban_2020"])


def test_cities_resolver_accepts_code_names_and_pinyin(resolver):
    for value in ("苏州市", "苏州", 320500, "320500", " 320500 ", 320500.0):
        assert resolver.resolve(value) == "320500"
    assert resolver.resolve("nanjing") == "320100"
    assert resolver.resolve(" NAN JING ") == "320100"
    assert resolver.resolve("Huai'an") == resolver.resolve("huaian") == "320800"
    assert resolver.resolve("湘西土家族苗族自治州") == resolver.resolve("湘西") == "433100"


def test_cities_resolver_maps_districts_and_counties_to_prefecture(resolver):
    assert resolver.resolve("常州市武进区") == "320400"
    assert resolver.resolve("南通市海门区") == "320600"
    assert resolver.resolve("江苏省苏州市") == "320500"
    assert resolver.resolve("320412") == "320400"  # 武进区 adcode -> 常州市
    with pytest.raises(UnknownCityError):
        resolver.resolve("429004")  # 仙桃: province-administered, not in the 155 set
    with pytest.raises(UnknownCityError, match="江阴市"):
        resolver.resolve("江阴市")  # a county-level city whose name does not start with 无锡市


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Suzhou", ["苏州市 320500", "宿州市 341300"]),
        ("taizhou", ["泰州市 321200", "台州市 331000"]),
        ("FUZHOU", ["福州市 350100", "抚州市 361000"]),
    ],
)
def test_cities_resolver_refuses_ambiguous_pinyin(resolver, value, expected):
    with pytest.raises(AmbiguousCityError) as info:
        resolver.resolve(value)
    assert info.value.candidates == expected
    for label in expected:
        assert label in str(info.value)
    assert isinstance(info.value, ValueError)


def test_cities_resolver_unknown_value_is_named(resolver):
    with pytest.raises(UnknownCityError, match="'Gotham'"):
        resolver.resolve("Gotham")
    with pytest.raises(UnknownCityError):
        resolver.resolve(None)
    with pytest.raises(UnknownCityError):
        resolver.resolve(999999)


def test_cities_resolve_many_reports_every_bad_value(resolver):
    assert resolver.resolve_many(["苏州", 320100, "Hefei"]) == ["320500", "320100", "340100"]
    with pytest.raises(UnknownCityError) as info:
        resolver.resolve_many(["苏州", "Fuzhou", "Atlantis", "", "南京"])
    msg = str(info.value)
    assert "3 value(s)" in msg
    assert "row 2: 'Fuzhou' is ambiguous: 福州市 350100, 抚州市 361000" in msg
    assert "row 3: 'Atlantis'" in msg and "row 4" in msg
    with pytest.raises(AmbiguousCityError) as info:
        resolver.resolve_many(["Suzhou", "南京", "Taizhou"], labels=["a", "b", "c"])
    assert info.value.candidates == ["苏州市 320500", "宿州市 341300", "泰州市 321200", "台州市 331000"]
    assert "a: 'Suzhou'" in str(info.value) and "c: 'Taizhou'" in str(info.value)


def test_cities_resolver_for_any_units_uses_exact_names_only():
    r = CityResolver(pd.DataFrame({"code": ["1", "2"], "name": ["Medici", "Strozzi"]}))
    assert r.resolve("medici") == "1" and r.resolve(2) == "2"
    with pytest.raises(UnknownCityError):
        r.resolve("Medici family")  # the prefix rule is for Chinese city names only


def test_cities_normalise_code():
    assert normalise_code(320500) == "320500"
    assert normalise_code(320500.0) == "320500"
    assert normalise_code("320500.0") == "320500"
    assert normalise_code(" 007 ") == "007"
    assert normalise_code(float("nan")) is None
    with pytest.raises(QuantError):
        normalise_code(3.5)


def test_cities_read_table_detects_encodings_and_skips_comments():
    text = "# 注释: source line\n\ncode,城市,value\n320500,苏州市,1.5\n341300,宿州市,2\n"
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        frame = read_table(text.encode(encoding), "t.csv")
        assert list(frame.columns) == ["code", "城市", "value"]
        assert frame["城市"].tolist() == ["苏州市", "宿州市"]
        assert frame["value"].tolist() == [1.5, 2.0]
    tsv = read_table("code\tname\n007\tA\n".encode(), "t.tsv", as_text=True)
    assert tsv.loc[0, "code"] == "007"
    utf16 = read_table("code,城市\n320500,苏州市\n".encode("utf-16"), "excel-unicode.csv")
    assert utf16["城市"].tolist() == ["苏州市"]
    with pytest.raises(QuantError, match="bad.csv.*byte-order mark"):
        read_table(b"\xef\xbb\xbfa,b\n\xff,1\n", "bad.csv")


def test_cities_read_table_reads_xlsx_bytes_and_path(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["adcode", "pop"])
    ws.append([320500, 12.5])
    ws.append([341300, 5])
    buf = io.BytesIO()
    wb.save(buf)
    frame = read_table(buf.getvalue(), "upload.xlsx")
    assert frame["adcode"].tolist() == [320500, 341300]
    assert frame["pop"].tolist() == [12.5, 5]
    path = tmp_path / "t.xlsx"
    path.write_bytes(buf.getvalue())
    assert read_table(path).equals(frame)


def test_cities_read_table_errors_name_the_file(tmp_path):
    with pytest.raises(QuantError, match="missing.csv"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(QuantError, match="filename"):
        read_table(b"a,b\n1,2\n")
    with pytest.raises(QuantError, match="broken.xlsx"):
        read_table(b"PK\x03\x04 not really a zip", "broken.xlsx")
    with pytest.raises(QuantError, match="notes.docx"):
        read_table(b"abc", "notes.docx")
    with pytest.raises(QuantError, match="only comments"):
        read_table(b"# nothing but a comment\n", "c.csv")
    with pytest.raises(QuantError, match="empty"):
        read_table(b"", "e.csv")


def test_cities_load_city_table_by_name_with_resolver(resolver):
    table = pd.DataFrame({"city": ["苏州市", "Hefei", "常州"], "gdp": ["2.4", "1.2", ""], "tier": ["1", "2", "x"]})
    out = load_city_table(table, resolver=resolver)
    assert out["code"].tolist() == ["320500", "340100", "320400"]
    assert list(out.columns) == ["code", "gdp", "tier"]
    assert out["gdp"].dtype == "float64" and pd.isna(out.loc[2, "gdp"])
    assert out["tier"].tolist() == ["1", "2", "x"]  # not all numbers: kept as text
    with pytest.raises(QuantError, match="resolve"):
        load_city_table(table)  # names but no resolver


def test_cities_load_city_table_refuses_duplicate_cities(resolver):
    table = pd.DataFrame({"name": ["苏州市", "南京", "苏州", "320100"], "x": [1, 2, 3, 4]})
    with pytest.raises(QuantError) as info:
        load_city_table(table, resolver=resolver)
    msg = str(info.value)
    assert "320500 (row 1, row 3)" in msg and "320100 (row 2, row 4)" in msg


def test_cities_load_city_table_any_units_keeps_string_ids(tmp_path):
    path = tmp_path / "families.csv"
    path.write_text("family_id,wealth,name\n007,10,Acciaiuoli\n010,36,Albizzi\n", encoding="utf-8")
    out = load_city_table(path, id_column="family_id")
    assert out["code"].tolist() == ["007", "010"]
    assert out["wealth"].tolist() == [10, 36]
    assert out["name"].tolist() == ["Acciaiuoli", "Albizzi"]
    with pytest.raises(QuantError, match="no column 'fam'"):
        load_city_table(path, id_column="fam")


def test_cities_load_city_table_renames_standard_columns(shared):
    out = load_city_table(shared("cities", "cities_southeast.csv"))
    assert {"code", "name", "short_name", "pinyin", "province", "lat", "lon"} <= set(out.columns)
    assert "adcode" not in out.columns and len(out) == 155
