"""Formulas are data, never code: the check every model formula passes before patsy sees it.

patsy evaluates each factor of a formula (``np.log(x)``, ``I(a + b)``) as Python with ``eval``,
so ``y ~ I(x + 0*__import__('os').system('…'))`` would run a command. Tandem accepts only a
small formula language and refuses anything else with :class:`quant.errors.FormulaError`, in one
sentence naming the offending piece. Allowed: column names (identifiers not starting with
``_``), numbers, the formula operators ``~ + - * / : **`` and parentheses, ``I(…)``, ``C(x)`` or
``C(x, Treatment(…))`` (a reference level as a literal), ``Q("column name")``, the functions
``log, log1p, exp, sqrt, abs`` (also as ``np.log`` …), ``center, standardize, scale`` and, in
dyad formulas before they are rewritten (``quant.formula.nodes``), the node operators ``sum(x)``,
``absdiff(x)``, ``min(x)``, ``max(x)``, ``product(x)``, ``same(x)``, ``both(x)`` of one attribute,
and the directed operators ``sender(x)``, ``receiver(x)`` (a city attribute of the sender or the
receiver) and ``reciprocal(y)`` (dyad variable y of the opposite ordering), which only
``quant.formula.nodes.prepare_directed_formula`` builds (an undirected formula refuses them there).

How the check works, and why it is sound
----------------------------------------
1. **Bounds on the raw text**: at most ``MAX_LENGTH`` code points; no control or invisible
   format character (NUL, bidi overrides, zero-width spaces); bracket nesting at most
   ``MAX_NESTING`` (counted over the whole text, strings included, so it can only over-count).
   Everything after this is then small enough for the parsers below.
2. **patsy's own tokenizer splits the text** (``patsy.parse_formula.parse_formula``: an
   iterative operator-precedence parser that evaluates nothing) into formula operators and
   embedded Python expressions. This is exactly the split patsy makes when it later builds the
   design: each ``PYTHON_EXPR`` leaf becomes one ``EvalFactor`` whose code is the leaf's text,
   and those texts are the only strings patsy passes to ``eval``. So we check precisely what
   will be evaluated. (Replacing ``:`` and ``~`` by Python operators and parsing the whole
   formula once would check a different string, and would disagree with patsy about where a
   Python expression ends: in ``f(a:b)`` or ``x[1:2]`` the colon belongs to Python.)
3. **The operator tree** may hold only ``~`` (once, at the top), ``+ - * / : **``: the only
   operators in patsy's grammar. Its depth is at most ``MAX_DEPTH`` (patsy walks it
   recursively), a power of terms is a whole number from 1 to ``MAX_TERM_POWER``, and an upper
   bound of the number of terms it expands to (``a*b`` = a + b + a:b, so ``x1*…*x30`` would be
   2³⁰ terms) is at most ``MAX_TERMS``.
4. **Each leaf's Python** is parsed with ``ast.parse(mode="eval")`` and walked iteratively
   (depth at most ``MAX_DEPTH``, so neither this walk nor patsy's ``compile`` can recurse
   without bound). Only names, number literals, ``+ - * / **`` (binary), unary ``+ -`` and
   calls of the allowlist pass; ``**`` needs a number literal of absolute value at most
   ``MAX_EXPONENT`` as exponent and, when its base is a constant, a plain number as base (so
   ``(9**99)**99…`` cannot build a giant integer). Python normalises identifiers with NFKC
   (PEP 3131), so ``ｅｖａｌ`` *is* ``eval`` to ``eval``: the AST holds the normalised name, and
   that is what is checked; a name written in another form than its normalised one is refused
   too, so lookalikes never hide a name.
5. **Defence in depth** (``quant.formula.env.safe_environment``): the namespace patsy evaluates
   in holds only the allowed functions and no Python builtin, so even a formula that slipped
   past this check could not reach ``__import__``, ``open`` or ``eval``.
"""
from __future__ import annotations

from i18n import N_, _
import ast
import unicodedata

import patsy
from patsy.parse_formula import parse_formula

from quant.data.operators import OPERATORS
from quant.errors import FormulaError

__all__ = ["MAX_LENGTH", "MAX_NESTING", "MAX_DEPTH", "MAX_TERMS", "FUNCTIONS", "NP_FUNCTIONS", "DIRECTED_OPERATORS",
           "check_formula"]

#: Longest formula accepted, in code points.
MAX_LENGTH = 2_000
#: Deepest bracket nesting accepted ( ( [ { counted over the whole text ).
MAX_NESTING = 50
#: Deepest operator tree accepted, in the formula and in each embedded Python expression.
MAX_DEPTH = 100
#: Most terms a formula may expand to (an upper bound computed from the operator tree).
MAX_TERMS = 1_000
#: Largest power of terms, ``(a + b + c)**k``.
MAX_TERM_POWER = 10
#: Largest absolute exponent of a numeric ``**`` inside a Python expression.
MAX_EXPONENT = 100

#: One-argument numeric functions, callable by name and as ``np.<name>``.
NP_FUNCTIONS = ("log", "log1p", "exp", "sqrt", "abs")
#: patsy's stateful transforms (one argument).
STATEFUL = ("center", "standardize", "scale")
#: Operators of directed dyad formulas: a city attribute of the sender or of the receiver, and a dyad
#: variable of the opposite ordering (j, i). Built by ``quant.formula.nodes.prepare_directed_formula``.
DIRECTED_OPERATORS = ("sender", "receiver", "reciprocal")
#: Every function name a formula may call (node operators apart).
FUNCTIONS = frozenset({*NP_FUNCTIONS, *STATEFUL, "I", "C", "Q", "Treatment"})
#: Names that are functions or modules, never columns.
_NOT_COLUMNS = frozenset({"np", "I", "C", "Q", "Treatment"})

_BIN_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORMULA_OPS = {"~", "+", "-", "*", "/", ":", "**"}
_LEAVES = {"PYTHON_EXPR", "ZERO", "ONE", "NUMBER"}
_OPEN, _CLOSE = "([{", ")]}"
_PIECE = 60  # code points of an offending piece quoted in a message

_KINDS = {
    ast.Attribute: "which reads an attribute (only np.log, np.log1p, np.exp, np.sqrt and np.abs may be called)",
    ast.Subscript: "which is a subscript",
    ast.Lambda: "which is a lambda",
    ast.ListComp: "which is a comprehension", ast.SetComp: "which is a comprehension",
    ast.DictComp: "which is a comprehension", ast.GeneratorExp: "which is a comprehension",
    ast.NamedExpr: "which is an assignment expression",
    ast.Starred: "which is a starred argument",
    ast.JoinedStr: "which is an f-string", ast.FormattedValue: "which is an f-string",
    ast.Compare: "which is a comparison", ast.BoolOp: "which is a boolean operation",
    ast.IfExp: "which is a conditional expression",
    ast.List: "which is a list", ast.Tuple: "which is a tuple", ast.Set: "which is a set",
    ast.Dict: "which is a dictionary", ast.Slice: "which is a slice",
    ast.Await: "which is an await", ast.Yield: "which is a yield", ast.YieldFrom: "which is a yield",
}


def _allowed(operators: bool) -> str:
    text = ('formulas may use column names, numbers, + - * / ** : ( ), I(), C(), Q("…") and '
            "log, log1p, exp, sqrt, abs (also as np.log …), center, standardize, scale")
    return text + (", and sum, absdiff, min, max, product, same, both of a city attribute (on directed dyads also "
                   "sender, receiver of a city attribute and reciprocal of a dyad variable)" if operators else "")


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _PIECE else text[: _PIECE - 1] + "…"


class _Check:
    """State of one check: the formula's label and whether node operators are allowed."""

    def __init__(self, what: str, operators: bool) -> None:
        # ``what`` is English ("The formula", "The zero-part formula", N_-marked); shown translated
        self.english, self.what, self.operators = what, _(what), operators

    def label(self, formula: str) -> str:
        """The formula's label with its text quoted: "The formula 'y x'" or "The formula of … ('y x')"."""
        quoted = repr(_short(formula))
        if self.english == "The formula":
            return _("The formula {quoted}").format(quoted=quoted)
        return _("{what} ({quoted})").format(what=self.what, quoted=quoted)

    def refuse(self, piece: str, reason: str) -> FormulaError:
        return FormulaError(f"{self.english} uses `{_short(piece)}`, {reason}; {_allowed(self.operators)}.")

    # -- raw text ---------------------------------------------------------------------------------
    def text(self, formula) -> str:
        if not isinstance(formula, str):
            raise FormulaError(_("{what} must be text, not {name__}.").format(what=self.what, name__=type(formula).__name__))
        if len(formula) > MAX_LENGTH:
            raise FormulaError(_("{what} is {n:,} characters long; a formula may have at most "
                               "{max_length:,}.").format(what=self.what, n=len(formula), max_length=MAX_LENGTH))
        for ch in formula:
            cat = unicodedata.category(ch)
            if (cat == "Cc" and ch not in "\t\n\r") or cat in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
                raise FormulaError(_("{what} contains the invisible or control character "
                                   "U+{ord:04X}; retype the formula without it.").format(what=self.what, ord=ord(ch)))
        if not formula.strip():
            raise FormulaError(_("{what} is empty; write e.g. 'y ~ x1 + x2'.").format(what=self.what))
        level = deepest = 0
        for ch in formula:
            if ch in _OPEN:
                level += 1
                deepest = max(deepest, level)
            elif ch in _CLOSE:
                level -= 1
        if deepest > MAX_NESTING:
            raise FormulaError(_("{what} nests brackets {deepest} deep; a formula may nest at most {max_nesting}.").format(what=self.what, deepest=deepest, max_nesting=MAX_NESTING))
        return formula.strip()

    # -- formula operators ------------------------------------------------------------------------
    def tree(self, formula: str, outcome: str):
        if formula.endswith("~"):
            raise FormulaError(_("{label} has no terms after '~'.").format(label=self.label(formula)))
        try:
            root = parse_formula(formula)
        except patsy.PatsyError as exc:
            raise FormulaError(_("{label} cannot be read: {message}.").format(label=self.label(formula), message=exc.message)) from None
        except Exception as exc:  # tokenize errors on hostile text: still one sentence
            raise FormulaError(_("{label} cannot be read ({name__}).").format(label=self.label(formula), name__=type(exc).__name__)) from None
        written = root.token is not None  # parse_formula adds a '~' when none was written
        if outcome == "required":
            if not written:
                raise FormulaError(_("{label} has no '~' separating the outcome from the terms.").format(label=self.label(formula)))
            if len(root.args) != 2:
                raise FormulaError(_("{label} has no outcome left of '~'.").format(label=self.label(formula)))
        leaves, counts = [], {}
        stack = [(root, 1, False)]
        while stack:
            node, depth, done = stack.pop()
            if depth > MAX_DEPTH:
                raise FormulaError(_("{what} nests more than {max_depth} operators; split it into fewer terms.").format(what=self.what, max_depth=MAX_DEPTH))
            if done:
                counts[id(node)] = self._terms(node, counts)
                continue
            kind = node.type
            if kind == "~" and node is not root:
                raise FormulaError(_("{label} uses '~' more than once.").format(label=self.label(formula)))
            if kind not in _FORMULA_OPS and kind not in _LEAVES:
                raise FormulaError(_("{label} uses the operator {kind!r}.").format(label=self.label(formula), kind=kind))
            if kind == "**":
                self._term_power(node.args[1])
            if kind == "PYTHON_EXPR":
                leaves.append(node.token.extra)
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in node.args)
        if counts[id(root)] > MAX_TERMS:
            raise FormulaError(_("{what} expands to more than {max_terms:,} terms (each * or ** multiplies "
                               "them); write the interactions you need with ':'.").format(what=self.what, max_terms=MAX_TERMS))
        return leaves

    def _term_power(self, node) -> None:
        text = str(node.token.extra) if node.type in _LEAVES else ""
        if not (text.isdigit() and text.isascii() and 1 <= int(text) <= MAX_TERM_POWER):
            raise FormulaError(_("{what} raises terms to the power `{short}`; the power "
                               "must be a whole number from 1 to {max_term_power}.").format(what=self.what, short=_short(text or node.type), max_term_power=MAX_TERM_POWER))

    @staticmethod
    def _terms(node, counts) -> int:
        """An upper bound of the terms ``node`` expands to (capped at MAX_TERMS + 1)."""
        n = [counts[id(child)] for child in node.args]
        kind = node.type
        if kind == "PYTHON_EXPR":
            total = 1
        elif kind in ("ZERO", "ONE", "NUMBER"):
            total = 0
        elif len(n) == 1:  # unary + - ~
            total = n[0]
        elif kind in ("~", "+", "/"):
            total = n[0] + n[1]
        elif kind == "-":
            total = n[0]
        elif kind == ":":
            total = n[0] * n[1]
        elif kind == "*":
            total = n[0] + n[1] + n[0] * n[1]
        else:  # "**": all interactions of at most k terms, below n**k
            total = min(n[0], MAX_TERMS + 1) ** int(node.args[1].token.extra)
        return min(total, MAX_TERMS + 1)

    # -- embedded Python --------------------------------------------------------------------------
    def python(self, code: str) -> None:
        try:
            tree = ast.parse(code, mode="eval")
        except SyntaxError as exc:
            raise FormulaError(_("{what} has a term `{short}` that cannot be read "
                               "({msg}).").format(what=self.what, short=_short(code), msg=exc.msg)) from None
        stack = [(tree.body, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise FormulaError(_("{what} has a term `{short}` nested more than {max_depth} deep.").format(what=self.what, short=_short(code), max_depth=MAX_DEPTH))
            for child in self._node(code, node):
                stack.append((child, depth + 1))

    def _piece(self, code: str, node) -> str:
        return ast.get_source_segment(code, node) or type(node).__name__

    def _node(self, code: str, node) -> list:
        """Check one node; return the children still to check."""
        if isinstance(node, ast.Name):
            self._name(code, node, column=True)
            return []
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return []
            what = ("a string outside Q() and Treatment()" if isinstance(value, str)
                    else "bytes" if isinstance(value, bytes) else f"the constant {value!r}")
            raise self.refuse(self._piece(code, node), f"which is {what}")
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BIN_OPS:
                raise self.refuse(self._piece(code, node), "whose operator is not one of + - * / **")
            if isinstance(node.op, ast.Pow):
                self._power(code, node)
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.refuse(self._piece(code, node), "whose operator is not unary + or -")
            return [node.operand]
        if isinstance(node, ast.Call):
            return self._call(code, node)
        reason = _KINDS.get(type(node), f"which is a {type(node).__name__} expression")
        raise self.refuse(self._piece(code, node), reason + ", not part of the formula language")

    def _name(self, code: str, node: ast.Name, *, column: bool) -> None:
        name = node.id
        written = ast.get_source_segment(code, node)
        if written is not None and written != name:
            raise self.refuse(written, f"which Python reads as `{name}` (a lookalike of plain letters); "
                                       "write names in plain form")
        if name.startswith("_"):
            raise self.refuse(name, "which is not a column or an allowed function (names starting with '_' are "
                                    "reserved)")
        if column and name in _NOT_COLUMNS:
            raise self.refuse(name, "which is a function or module, not a column")

    def _power(self, code: str, node: ast.BinOp) -> None:
        exp = node.right
        if isinstance(exp, ast.UnaryOp) and isinstance(exp.op, (ast.USub, ast.UAdd)):
            exp = exp.operand
        ok = (isinstance(exp, ast.Constant) and isinstance(exp.value, (int, float))
              and not isinstance(exp.value, bool) and abs(exp.value) <= MAX_EXPONENT)
        if not ok:
            raise self.refuse(self._piece(code, node), f"whose exponent is not a number from -{MAX_EXPONENT} to "
                                                       f"{MAX_EXPONENT}")
        base = node.left
        if isinstance(base, ast.UnaryOp):
            base = base.operand
        constant_base = not any(isinstance(n, (ast.Name, ast.Call)) for n in ast.walk(node.left))
        if constant_base and not isinstance(base, ast.Constant):
            raise self.refuse(self._piece(code, node), "which raises a computed number to a power (write the "
                                                       "number itself)")

    def _call(self, code: str, node: ast.Call) -> list:
        piece = self._piece(code, node)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.refuse(self._piece(code, arg), "which is a starred argument")
        func = node.func
        if isinstance(func, ast.Attribute):
            base = func.value
            while isinstance(base, (ast.Attribute, ast.Call, ast.Subscript)):
                base = base.func if isinstance(base, ast.Call) else base.value
            if isinstance(base, ast.Name) and base.id.startswith("_"):
                self._name(code, base, column=False)  # name the dunder itself: `__import__`
            written = "".join((ast.get_source_segment(code, func) or "").split())
            if not (isinstance(func.value, ast.Name) and func.value.id == "np" and func.attr in NP_FUNCTIONS
                    and written == f"np.{func.attr}"):
                raise self.refuse(self._piece(code, func), _KINDS[ast.Attribute])
            name = func.attr
        elif isinstance(func, ast.Name):
            self._name(code, func, column=False)
            name = func.id
        else:
            raise self.refuse(piece, "which calls something that is not a function name")
        if name == "C":
            return self._categorical(code, node)
        if (name in OPERATORS or name in DIRECTED_OPERATORS) and isinstance(func, ast.Name):
            if not self.operators:
                raise self.refuse(piece, "a node operator, which only a dyad formula fitted on a project can use "
                                         "(its column is built first by quant.formula.nodes.prepare_dyad_formula)")
            if node.keywords or len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
                what = "one dyad variable name" if name == "reciprocal" else "one city attribute name"
                raise self.refuse(piece, f"a node operator, which takes {what}")
            self._name(code, node.args[0], column=True)
            return []
        if name not in FUNCTIONS or name == "Treatment":
            raise self.refuse(self._piece(code, func), "which is not a column or an allowed function")
        if node.keywords:
            raise self.refuse(piece, f"which passes a keyword argument to {name}()")
        if len(node.args) != 1:
            raise self.refuse(piece, f"which gives {name}() {len(node.args)} arguments instead of one")
        if name == "Q":
            arg = node.args[0]
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                raise self.refuse(piece, 'whose argument is not one quoted column name, as in Q("my column")')
            if arg.value.startswith("_"):
                raise self.refuse(piece, "which names a column starting with '_' (reserved)")
            return []
        return [node.args[0]]

    def _categorical(self, code: str, node: ast.Call) -> list:
        piece = self._piece(code, node)
        if node.keywords or not 1 <= len(node.args) <= 2:
            raise self.refuse(piece, "which is not C(x) or C(x, Treatment(reference))")
        if len(node.args) == 2:
            contrast = node.args[1]
            ok = (isinstance(contrast, ast.Call) and isinstance(contrast.func, ast.Name)
                  and contrast.func.id == "Treatment"
                  and ast.get_source_segment(code, contrast.func) == "Treatment")
            values = list(contrast.args) + [k.value for k in contrast.keywords] if ok else []
            ok = ok and len(values) <= 1 and all(k.arg == "reference" for k in contrast.keywords) and all(
                isinstance(v, ast.Constant) and isinstance(v.value, (str, int, float))
                and not isinstance(v.value, bool) for v in values)
            if not ok:
                raise self.refuse(self._piece(code, contrast), "which is not a contrast Treatment() with one "
                                                               "literal reference level")
        return [node.args[0]]


def check_formula(formula, *, outcome: str = "required", operators: bool = False,
                  what: str = N_("The formula")) -> str:
    """Refuse a formula unless it is written in Tandem's formula language (module docstring).

    Parameters
    ----------
    formula : str
        A patsy formula, e.g. ``"connection ~ sum(log_pop) + np.log(distance_km)"``; at most
        ``MAX_LENGTH`` code points.
    outcome : {"required", "optional"}
        "required": two-sided, ``y ~ terms``. "optional": also ``~ terms`` or bare ``terms``
        (the hurdle's zero part).
    operators : bool
        Allow the node operators ``sum(x)`` … ``both(x)`` and the directed ones ``sender(x)``,
        ``receiver(x)``, ``reciprocal(y)`` (dyad formulas before ``quant.formula.nodes`` rewrites them
        to columns; an undirected formula refuses the directed ones there in one sentence).
        Without it they are refused, so no operator call can reach patsy (where ``sum``,
        ``min``, ``max`` would otherwise be Python's builtins).
    what : str
        How the message names the formula, e.g. ``"The formula of the saved specification 'x'"``.

    Returns
    -------
    str
        The formula without surrounding white space (otherwise unchanged).

    Raises
    ------
    FormulaError
        Not text, empty, longer than ``MAX_LENGTH``, a control or invisible character, nesting
        beyond ``MAX_NESTING``/``MAX_DEPTH``, more than ``MAX_TERMS`` terms, no ``~`` (when the
        outcome is required), a second ``~``, text patsy cannot tokenise, or any name, call,
        attribute, string, keyword or construct outside the allowlist (named in the message).
    """
    if outcome not in ("required", "optional"):
        raise ValueError(_("outcome must be 'required' or 'optional', not {outcome!r}.").format(outcome=outcome))
    check = _Check(what, operators)
    text = check.text(formula)
    for code in check.tree(text, outcome):
        check.python(code)
    return text
