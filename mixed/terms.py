"""Which model terms a code↔variable mapping speaks to: the term–variable matching rule.

A researcher maps a code to a *variable* name (``CodeVariableMap``), e.g. "Social needs" →
``gravity``. A fitted model reports *terms*, which are often built from variables:
``np.log(pop)``, ``log_pop_min``, ``sum_pop``, ``pop:distance``, ``C(province)[T.浙江]``.

The rule (Tandem's own; stated once here and used by the joint display):

1. A variable matches a term when the two are equal after stripping surrounding whitespace.
2. Otherwise the term is cut into *identifiers* (maximal runs of word characters starting with a
   letter or underscore; Unicode letters such as Chinese count), and each identifier into its
   *parts* at underscores. A variable that is itself one identifier matches when its own parts
   occur as a contiguous run of the parts of one identifier of the term. So ``pop`` matches
   ``np.log(pop)``, ``sum_pop`` and ``log_pop_min``; ``urban_share`` matches
   ``urban_share_min``; but ``pop`` does not match ``population`` (not a whole part) and
   ``share_min`` does not match ``log_share`` (the run is absent).
3. A variable that is not a single identifier (``np.log(pop)``) matches by rule 1 only.
4. Exact names win: when some code's variable equals the term (rule 1), only such codes are
   attributed to the term, and rule 2 is not consulted. So with the default map ("Social needs"
   → ``log_pop``, "Administrative supply" → ``log_pop_min``) the term ``log_pop_min`` goes to
   Administrative supply alone, while ``np.log(pop_min)`` would fall back to rule 2.

Matching is case-sensitive, as patsy names are.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["NON_TERMS", "identifier_parts", "term_matches", "codes_for_term"]

#: Parameters that are not substantive terms and get no joint-display row.
NON_TERMS = frozenset({"Intercept", "const", "alpha"})

_IDENT = re.compile(r"[^\W\d]\w*")


def identifier_parts(text: str) -> list[tuple[str, ...]]:
    """The identifiers of a term, each cut into its underscore-separated parts.

    Parameters
    ----------
    text : str
        A term or formula fragment, e.g. ``"np.log(sum_pop)"``.

    Returns
    -------
    list of tuple of str
        One tuple per identifier in order of appearance, e.g. ``[("np",), ("log",),
        ("sum", "pop")]``. Empty parts (from ``__``) are dropped.
    """
    return [tuple(p for p in ident.split("_") if p) for ident in _IDENT.findall(str(text))]


def _contains_run(parts: tuple[str, ...], run: tuple[str, ...]) -> bool:
    k = len(run)
    return k > 0 and any(parts[i : i + k] == run for i in range(len(parts) - k + 1))


def term_matches(term: str, variable: str) -> bool:
    """Whether ``variable`` is the term or one it is built from (rule in the module docstring).

    Parameters
    ----------
    term : str
        A model term as named in ``FitResult.params``.
    variable : str
        A variable name from the code↔variable map.

    Returns
    -------
    bool
    """
    term, variable = str(term).strip(), str(variable).strip()
    if not variable:
        return False
    if term == variable:
        return True
    if _IDENT.fullmatch(variable) is None:
        return False
    run = tuple(p for p in variable.split("_") if p)
    return any(_contains_run(parts, run) for parts in identifier_parts(term))


def codes_for_term(term: str, variable_map: Mapping[int, Iterable[str]]) -> list[int]:
    """Ids of the codes whose mapped variables match ``term``.

    Parameters
    ----------
    term : str
        A model term.
    variable_map : mapping of int to iterable of str
        ``{code_id: [variable, ...]}`` as returned by ``coding.codes.book.variable_map``.

    Returns
    -------
    list of int
        Matching code ids in ascending order (each once): the codes with a variable equal to the
        term if there are any (rule 4 of the module docstring), else those matched by
        :func:`term_matches`.
    """
    name = str(term).strip()
    exact = sorted(
        int(cid) for cid, variables in variable_map.items()
        if any(str(v).strip() == name for v in variables)
    )
    if exact:
        return exact
    return sorted(
        int(cid) for cid, variables in variable_map.items()
        if any(term_matches(term, v) for v in variables)
    )
