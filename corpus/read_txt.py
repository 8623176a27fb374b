"""Plain text (.txt, .md): decoding bytes in whatever encoding Chinese fieldwork produces.

Decision order (``decode``):

1. an explicit ``encoding`` given by the user: strict decoding with it, nothing else;
2. a byte-order mark: UTF-32 LE/BE, UTF-8, UTF-16 LE/BE (strict);
3. strict UTF-8;
4. the Chinese legacy encodings GB18030 (a superset of GB2312 and GBK) and Big5: each
   that decodes strictly without control characters is scored by the share of its Han
   characters that are among everyday characters (``_COMMON_HAN``); misreadings give
   rare characters. The best score of at least 0.1 wins (a tie goes to GB18030);
5. otherwise charset-normalizer's best guess, except that when it guesses a Latin-script
   single-byte code page, Windows-1252 is used if it decodes the bytes cleanly (Tandem's
   non-Chinese sources are English; charset-normalizer often picks cp1250 or cp1257 for
   French or English with accents). A warning lists the competing guesses.

Refused (``CorpusError``): bytes no encoding fits, a decoding holding NUL or many
control characters (binary data). Warned: a guess from little text, competing
guesses, U+FFFD replacement characters, and UTF-8 mojibake ("Ã©", "è·¨").
"""
from __future__ import annotations

import codecs
import re

from corpus.errors import CorpusError
from corpus.text import HAN_RE, RawText, han_count, normalise
from i18n import _

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Everyday characters, simplified and traditional forms, plus the vocabulary of
# government-service texts. A correct decoding of Chinese text has a good share of them.
_COMMON_HAN = frozenset(
    "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可"
    "她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已"
    "老从动两长这個國們來為說時會過對學後麼發還動長開見經兩當與實點現進"
    "政务服务办理事项城市省区县部门管理规定条例依法应当通机关单位人民府工作信息数据平台申请"
    "政務服務辦理事項縣門規條應機關單請資料"
)
_MIN_COMMON_SHARE = 0.1

#: Most columns a table Tandem reads may have (city, dyad, attribute, codebook, segment tables).
#: A wide case/variable table has hundreds; a header of a million columns in a 10 MB CSV would take
#: gigabytes to parse, so it is refused before parsing.
MAX_TABLE_COLUMNS = 5_000


def check_table_width(n_columns: int, label: str) -> None:
    """Refuse a table wider than ``MAX_TABLE_COLUMNS``.

    Raises
    ------
    CorpusError
        One sentence naming the file and the count.
    """
    if n_columns > MAX_TABLE_COLUMNS:
        raise CorpusError(_("{label} has {n_columns:,} columns, more than the {max_table_columns:,} Tandem reads in "
                            "one table; split it or keep the columns you need.")
                          .format(label=label, n_columns=n_columns, max_table_columns=MAX_TABLE_COLUMNS))
_SHORT_SAMPLE = 50  # Han characters: a guess from fewer is flagged
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_LATIN_CODE_PAGES = frozenset(
    "cp1250 cp1252 cp1254 cp1257 cp775 cp437 cp850 cp858 latin_1 iso8859_2 iso8859_3 iso8859_4 "
    "iso8859_9 iso8859_10 iso8859_13 iso8859_14 iso8859_15 iso8859_16 mac_latin2 mac_roman mac_iceland "
    "mac_turkish".split()
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def read_txt(data: bytes, filename: str, encoding: str | None = None) -> RawText:
    """Decode a plain-text file and return its canonical text.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    filename : str
        Named in messages.
    encoding : str, optional
        A Python codec name that overrides detection (``"gb18030"``, ``"big5"``...).

    Returns
    -------
    RawText
        ``encoding`` is the codec used (``"utf-8"``, ``"utf-8-sig"``, ``"utf-16-le"``,
        ``"gb18030"``, ...).

    Raises
    ------
    CorpusError
        Unknown codec, bytes invalid in the given/BOM encoding, no encoding fits, or
        binary content.
    """
    text, used, warnings = decode(data, filename, encoding)
    return RawText(text=normalise(text), encoding=used, warnings=warnings)


def decode(data: bytes, filename: str, encoding: str | None = None) -> tuple[str, str, list[str]]:
    """Decode bytes by the rules in the module docstring (text not yet normalised).

    Returns
    -------
    (text, encoding, warnings)
    """
    warnings: list[str] = []
    if encoding:
        text, used = _decode_explicit(data, filename, encoding), encoding
    else:
        text, used = _decode_auto(data, filename, warnings)
    n_control = len(_CONTROL.findall(text))
    _check_binary(text, filename, used, n_control)
    warnings += _risk_warnings(text, filename, used, n_control)
    return text, used, warnings


def _decode_explicit(data: bytes, filename: str, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise CorpusError(_("{filename}: {encoding!r} is not a known text encoding.")
                          .format(filename=filename, encoding=encoding)) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CorpusError(
            _("{filename}: cannot be decoded as {encoding} (invalid bytes at byte offset {start}).")
            .format(filename=filename, encoding=encoding, start=exc.start)
        ) from None


def _decode_auto(data: bytes, filename: str, warnings: list[str]) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data if codec == "utf-8-sig" else data[len(bom):]
            try:
                return body.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise CorpusError(
                    _("{filename}: starts with a {value} byte-order mark but is not valid {value} (invalid bytes at "
                      "byte offset {start}).")
                    .format(filename=filename, value=codec.replace('-sig', ''), start=exc.start)
                ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc.start

    chinese = []
    for codec in ("gb18030", "big5"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        n_han = han_count(text)
        if n_han == 0 or _CONTROL.search(text):
            continue
        common = sum(1 for run in HAN_RE.findall(text) for c in run if c in _COMMON_HAN)
        chinese.append((common / n_han, codec == "gb18030", codec, text, n_han))
    chinese = [c for c in chinese if c[0] >= _MIN_COMMON_SHARE]
    if chinese:
        chinese.sort(reverse=True)
        _a, _b, codec, text, n_han = chinese[0]
        if n_han < _SHORT_SAMPLE:
            warnings.append(
                _("{filename}: the encoding {codec} was guessed from only {n_han} Chinese characters; check the "
                  "text, or import again with the right encoding.")
                .format(filename=filename, codec=codec, n_han=n_han)
            )
        elif len(chinese) > 1:
            warnings.append(
                _("{filename}: decoded as {codec}, but {chinese} also fits; check the text, or import again with the "
                  "right encoding.")
                .format(filename=filename, codec=codec, chinese=chinese[1][2])
            )
        return text, codec

    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise CorpusError(
            _("{filename}: cannot be decoded: it is not UTF-8 (invalid bytes at byte offset {utf8_error}) and no "
              "known text encoding fits; if it is text, import it with its encoding named.")
            .format(filename=filename, utf8_error=utf8_error)
        )
    text, used = str(best), best.encoding
    if used in _LATIN_CODE_PAGES:
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if western is not None and not _CONTROL.search(western):
            text, used = western, "cp1252"  # English-language fieldwork: Windows-1252
    others = [m.encoding for m in matches if m.encoding != used and str(m) != text][:3]
    if others or best.chaos > 0.1:
        if others:
            warnings.append(
                _("{filename}: decoded as {used} with low confidence (also plausible: {others}); check accented and "
                  "non-Latin letters, or import again with the right encoding.")
                .format(filename=filename, used=used, others=", ".join(others))
            )
        else:
            warnings.append(
                _("{filename}: decoded as {used} with low confidence; check accented and non-Latin letters, or "
                  "import again with the right encoding.")
                .format(filename=filename, used=used)
            )
    return text, used


def _check_binary(text: str, filename: str, encoding: str, n_control: int) -> None:
    if "\x00" in text:
        raise CorpusError(_("{filename}: contains NUL characters when read as {encoding}; it looks like binary data, "
                            "not text.")
                          .format(filename=filename, encoding=encoding))
    if n_control > max(3, len(text) // 200):
        raise CorpusError(
            _("{filename}: has {n_control} control characters when read as {encoding}; it looks like binary data, "
              "not text.")
            .format(filename=filename, n_control=n_control, encoding=encoding)
        )


def _risk_warnings(text: str, filename: str, encoding: str, n_control: int) -> list[str]:
    out = []
    n_fffd = text.count("\ufffd")
    if n_fffd:
        out.append(
            f"{filename}: contains {n_fffd} replacement character(s) U+FFFD: some text was already lost "
            f"before the file reached Tandem."
        )
    hits = len(_MOJIBAKE.findall(text))
    if hits >= 3 and hits * 1000 >= len(text):
        out.append(
            f"{filename}: looks like mojibake ({hits} sequences such as 'Ã©' or 'è·¨'): UTF-8 text that was "
            f"once read as a Western code page; repair the source file before coding it."
        )
    if n_control:
        out.append(f"{filename}: contains {n_control} stray control character(s) when read as {encoding}.")
    return out
