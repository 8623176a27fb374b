"""Named model specifications saved in the project (``store.ModelSpec``), so that a researcher
can keep several specifications of one dimension and compare them side by side.

A specification is a name, a dimension, a model, a formula (as written, node-attribute
operators included) and options: ``se`` (SE types), ``small_sample``, ``psd``,
``conservative``, ``pvalues`` and, for the hurdle, ``zero_formula``. When a formula uses a
quantitized code (``quant.data.quantitize``), the construction of that variable at the time of
saving is copied into ``options["quantitized"]``, so the record says what the variable meant
even if it is rebuilt later.

Formulas are data, never code: the formula and the zero-part formula are checked by
``quant.formula.guard.check_formula`` when a specification is saved and again whenever one is
loaded (``load_spec``, hence ``fit_spec``), so a row altered in the project file behind
Tandem's back (raw SQL) is refused with a sentence naming the specification, before patsy sees
it.
"""
from __future__ import annotations

from i18n import _
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from quant.errors import QuantError
from quant.formula.guard import check_formula

__all__ = ["OPTION_KEYS", "save_spec", "list_specs", "load_spec", "delete_spec", "fit_spec", "spec_fit_kwargs"]

#: Options a saved specification may carry (passed to ``quant.runs.analysis.fit_dimension``).
OPTION_KEYS = ("se", "small_sample", "psd", "conservative", "pvalues", "zero_formula", "min_events", "directed",
               "offset", "exposure")
#: Informational options kept as they are (not passed to the fit).
INFO_KEYS = ("quantitized", "simulated", "note")
_NAME_LIMIT = 200


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise QuantError(_("A saved specification needs a name (some text)."))
    name = " ".join(name.split())
    if len(name) > _NAME_LIMIT:
        raise QuantError(_("The specification name is longer than {name_limit} characters.").format(name_limit=_NAME_LIMIT))
    return name


def _clean_options(options: dict | None, model: str) -> dict:
    options = dict(options or {})
    unknown = sorted(k for k in options if k not in OPTION_KEYS and k not in INFO_KEYS)
    if unknown:
        raise QuantError(_("Unknown specification option(s) {unknown}; use {option_keys}.").format(unknown=', '.join(unknown), option_keys=', '.join(OPTION_KEYS)))
    if "se" in options and options["se"] is not None:
        se = options["se"]
        options["se"] = [se] if isinstance(se, str) else [str(s) for s in se]
    if options.get("zero_formula") and model != "hurdle":
        raise QuantError(_("A zero-part formula belongs to the hurdle model only."))
    return {k: v for k, v in options.items() if v is not None and v != ""}


def save_spec(session: Session, name: str, dimension: str, model: str | None, formula: str,
              options: dict | None = None, *, replace: bool = False, check: bool = True) -> dict:
    """Save (or with ``replace`` overwrite) a named specification.

    Parameters
    ----------
    session : Session
    name : str
        Unique within the project (≤ 200 characters; runs of white space become one space).
    dimension : {"breadth", "connection", "degree"}
    model : str or None
        One of ``quant.runs.analysis.MODELS[dimension]``; None = the dimension's default.
    formula : str
        As written (operators allowed).
    options : dict, optional
        Keys of ``OPTION_KEYS`` (passed to the fit) and ``INFO_KEYS`` (kept as notes).
    replace : bool
        Overwrite a specification of the same name.
    check : bool
        Check that the project has every variable the formula names (``model_data``), so a
        broken specification is refused when saved, not when fitted.

    Returns
    -------
    dict
        The saved specification (``load_spec`` form).

    Raises
    ------
    FormulaError
        The formula or zero-part formula is outside Tandem's formula language.
    QuantError
        Empty or too long name, a name in use without ``replace``, unknown dimension, model,
        option or variable.
    """
    from quant.runs.analysis import DEFAULT_MODEL, check_dimension, model_data

    name = _clean_name(name)
    check_dimension(dimension, model)
    model = model or DEFAULT_MODEL[dimension]
    formula = check_formula(formula, operators=True, what=f"The formula of the specification {name!r}")
    options = _clean_options(options, model)
    _check_zero(name, options)
    if check:
        md = model_data(session, dimension, model=model, formula=formula, zero_formula=options.get("zero_formula"),
                        directed=bool(options.get("directed")), offset=options.get("offset"),
                        exposure=options.get("exposure"))
        used = set(md.data.columns) & _formula_words(md.design_formula + " " + (md.zero_design_formula or ""))
        _record_quantitized(session, options, used, md.operators)
    row = session.scalar(select(store.ModelSpec).where(store.ModelSpec.name == name))
    if row is not None and not replace:
        raise QuantError(_("A specification named {name!r} exists already; choose another name or replace it.").format(name=name))
    if row is None:
        row = store.ModelSpec(name=name)
        session.add(row)
    row.dimension, row.model, row.formula, row.options = dimension, model, formula, options
    session.flush()
    return _as_dict(row)


def _check_zero(name: str, options: dict) -> None:
    zero = options.get("zero_formula")
    if zero is not None:
        options["zero_formula"] = check_formula(
            zero, outcome="optional", operators=True, what=f"The zero-part formula of the specification {name!r}")


def _checked(spec: dict) -> dict:
    """``spec`` (``_as_dict`` form) once its formulas pass ``check_formula`` (FormulaError if not)."""
    name = spec["name"]
    spec["formula"] = check_formula(spec["formula"], operators=True,
                                    what=f"The formula of the saved specification {name!r}")
    options = spec["options"]
    if not isinstance(options, dict):
        raise QuantError(_("The options of the saved specification {name!r} are not a mapping.").format(name=name))
    if options.get("zero_formula") is not None:
        options["zero_formula"] = check_formula(
            options["zero_formula"], outcome="optional", operators=True,
            what=f"The zero-part formula of the saved specification {name!r}")
    return spec


def _formula_words(text: str) -> set[str]:
    import re

    return set(re.findall(r"[A-Za-z_]\w*", text))


def _record_quantitized(session: Session, options: dict, used: set[str], operators) -> None:
    from quant.data.quantitize import constructions

    made = constructions(session)
    names = set(used) | {var for _, var in operators}
    found = {n: made[n] for n in sorted(names) if n in made}
    if found:
        options["quantitized"] = found
    else:
        options.pop("quantitized", None)


def _as_dict(row: store.ModelSpec) -> dict:
    options = {} if row.options is None else dict(row.options) if isinstance(row.options, dict) else row.options
    return {"name": row.name, "dimension": row.dimension, "model": row.model, "formula": row.formula,
            "options": options,
            "created": row.created.isoformat() if row.created is not None else None}


def list_specs(session: Session, dimension: str | None = None) -> pd.DataFrame:
    """Saved specifications, oldest first, as stored (for display: formulas are not checked here;
    ``load_spec``/``fit_spec`` check them before any use).

    Returns
    -------
    pandas.DataFrame
        Columns ``name, dimension, model, formula, options`` (dict), ``created`` (ISO text);
        only ``dimension`` when given.
    """
    stmt = select(store.ModelSpec).order_by(store.ModelSpec.created, store.ModelSpec.id)
    if dimension is not None:
        stmt = stmt.where(store.ModelSpec.dimension == dimension)
    rows = [_as_dict(r) for r in session.scalars(stmt)]
    return pd.DataFrame(rows, columns=["name", "dimension", "model", "formula", "options", "created"])


def load_spec(session: Session, name: str) -> dict:
    """One saved specification as a dict (``name, dimension, model, formula, options, created``).

    The formula and zero-part formula are checked again (``quant.formula.guard``), as the
    project file may have been altered since they were saved.

    Raises
    ------
    FormulaError
        The stored formula or zero-part formula is outside Tandem's formula language (the
        message names the specification and the offending piece).
    QuantError
        No specification has that name (the saved names are listed), or its options are not a
        mapping.
    """
    return _checked(_as_dict(_row(session, name)))


def _row(session: Session, name: str) -> store.ModelSpec:
    row = session.scalar(select(store.ModelSpec).where(store.ModelSpec.name == str(name).strip()))
    if row is None:
        names = list(session.scalars(select(store.ModelSpec.name).order_by(store.ModelSpec.name)))
        if names:
            raise QuantError(_("No saved specification is named {name!r}; saved: {names}.").format(
                name=name, names=", ".join(names[:20])))
        raise QuantError(_("No saved specification is named {name!r}; none is saved yet.").format(name=name))
    return row


def delete_spec(session: Session, name: str) -> None:
    """Delete a saved specification (also one whose stored formula no longer passes the check).

    Raises
    ------
    QuantError
        No specification has that name.
    """
    session.delete(_row(session, name))
    session.flush()


def spec_fit_kwargs(spec: dict) -> dict:
    """Keyword arguments of ``quant.runs.analysis.fit_dimension`` for a saved specification."""
    opts = {k: v for k, v in (spec.get("options") or {}).items() if k in OPTION_KEYS and v is not None}
    if "se" in opts:
        opts["se"] = (opts["se"],) if isinstance(opts["se"], str) else tuple(opts["se"])
    return {"model": spec["model"], "formula": spec["formula"], **opts}


def fit_spec(session: Session, name: str):
    """Fit a saved specification on the project's current data (``fit_dimension``).

    Returns
    -------
    quant.models.results.FitResult
        With ``meta["spec_name"]`` set to ``name``.

    Raises
    ------
    FormulaError
        The stored formula no longer passes ``quant.formula.guard`` (``load_spec``).
    QuantError
        As ``load_spec`` and ``quant.runs.analysis.fit_dimension``.
    """
    import dataclasses

    from quant.runs.analysis import fit_dimension

    spec = load_spec(session, name)
    result = fit_dimension(session, spec["dimension"], **spec_fit_kwargs(spec))
    return dataclasses.replace(result, meta={**result.meta, "spec_name": spec["name"]})
