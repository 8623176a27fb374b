"""Maintain the catalogues with Babel.

    python -m i18n extract   # scan the code for _(), N_(), ngettext() -> i18n/locale/tandem.pot
    python -m i18n update    # merge the template into every language's .po (new strings untranslated)
    python -m i18n compile   # .po -> .mo (what the workbench reads)
    python -m i18n check     # list untranslated strings of every language; exit 1 if any
    python -m i18n build     # extract + update + fill from parts + compile (what a change of strings needs)

Translations are written in the ``.po``; while several people translate at once, each may keep
``i18n/locale/<locale>/parts/<name>.tsv`` (one ``English<TAB>Chinese`` pair per line, ``\n`` for a
line break, ``context::English`` for a ``pgettext`` string) which ``build`` copies into the ``.po``;
when two parts translate one string differently, ``lead.tsv`` wins, then the first part by name,
and the clash is printed to be settled.

Extraction covers ``ui/``, ``workbench.py``, ``cli.py``, ``commands/`` and the library packages.
"""
from __future__ import annotations

import sys
from pathlib import Path

from i18n import DOMAIN, LOCALE_DIR, LOCALES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["ui", "commands", "report", "mixed", "assist", "quant", "coding", "corpus", "team", "store", "applog", "data", "i18n"]
FILES = ["workbench.py", "cli.py"]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


def _po(lang: str) -> Path:
    return LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract():
    """The template catalogue of every marked string in the code (Babel's Python extractor)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    catalog = Catalog(project="Tandem", charset="utf-8")
    paths = [ROOT / f for f in FILES] + sorted(p for d in SOURCES for p in (ROOT / d).rglob("*.py"))
    for path in paths:
        for lineno, message, comments, context in extract_from_file("python", str(path), keywords=KEYWORDS):
            catalog.add(message, locations=[(str(path.relative_to(ROOT)), lineno)], auto_comments=comments,
                        context=context)
    return catalog


def read(path: Path, locale: str | None = None):
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        return read_po(fh, locale=locale)


def write(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False, include_previous=False)


def compile_catalog(po: Path) -> bytes:
    """The .mo bytes of a .po file (fuzzy entries left out, as gettext tools do)."""
    import io

    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, read(po), use_fuzzy=False)
    return buf.getvalue()


def _parts(lang: str) -> dict[str, str]:
    folder = LOCALE_DIR / LOCALES[lang] / "parts"
    found: dict[str, tuple[str, str]] = {}
    clashes = []
    paths = sorted(folder.glob("*.tsv"), key=lambda q: (q.name != "lead.tsv", q.name)) if folder.exists() else []
    for path in paths:
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            if line.count("\t") != 1:
                raise SystemExit(f"{path.name}:{k}: expected English<TAB>translation")
            src, dst = (x.replace("\\n", "\n") for x in line.split("\t"))
            if src in found and found[src][0] != dst:
                clashes.append(f"{src!r}: {found[src][1]} says {found[src][0]!r}, {path.name} says {dst!r}")
            found.setdefault(src, (dst, path.name))
    if clashes:  # the lead's part wins, then the first in name order; each clash is shown to be settled
        print("different translations of one string (the first kept):\n  " + "\n  ".join(clashes), file=sys.stderr)
    return {src: dst for src, (dst, _) in found.items()}


def fill_from_parts(lang: str) -> None:
    """Copy the parts' translations into the language's .po (strings the code uses only)."""
    po = _po(lang)
    catalog = read(po, LOCALES[lang])
    parts = _parts(lang)
    for message in catalog:
        if not message.id:
            continue
        singular = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        key = f"{message.context}::{singular}" if message.context else singular
        if key in parts:  # Chinese has one plural form: the singular's line gives it
            message.string = (parts[key],) if isinstance(message.id, (tuple, list)) else parts[key]
    write(catalog, po)


def translated(message) -> bool:
    """Whether a catalogue entry has its translation (every plural form, for a plural entry)."""
    if isinstance(message.string, (tuple, list)):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "check"
    if cmd == "extract":
        write(extract(), TEMPLATE)
        print(f"wrote {TEMPLATE.relative_to(ROOT)}")
    elif cmd == "update":
        template = read(TEMPLATE)
        for lang, locale in LOCALES.items():
            po = _po(lang)
            catalog = read(po, locale) if po.exists() else None
            if catalog is None:
                from babel.messages.catalog import Catalog

                catalog = Catalog(locale=locale, project="Tandem", charset="utf-8")
            catalog.update(template, no_fuzzy_matching=True)
            catalog.fuzzy = False  # the header is complete: gettext must read its plural forms
            catalog.project, catalog.version = "Tandem", "1"
            catalog.copyright_holder = catalog.last_translator = catalog.language_team = "Tandem team"
            catalog.header_comment = ("# Chinese (Simplified) interface of Tandem. Edit the translations here "
                                      "(terms: i18n/GLOSSARY.md),\n# then run `python -m i18n compile`.")
            write(catalog, po)
            print(f"updated {po.relative_to(ROOT)}")
    elif cmd == "compile":
        for lang in LOCALES:
            po = _po(lang)
            po.with_suffix(".mo").write_bytes(compile_catalog(po))
            print(f"compiled {po.with_suffix('.mo').relative_to(ROOT)}")
    elif cmd == "build":
        for step in ("extract", "update"):
            main([step])
        for lang in LOCALES:
            fill_from_parts(lang)
        main(["compile"])
    elif cmd == "check":
        bad = 0
        for lang in LOCALES:
            missing = [m.id for m in read(_po(lang)) if m.id and not translated(m)]
            bad += len(missing)
            print(f"{lang}: {len(missing)} untranslated")
            for mid in missing[:50]:
                print(f"  {mid!r}")
        return 1 if bad else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
