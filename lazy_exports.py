"""Public names of a package loaded on first use (PEP 562), so that ``import quant`` or one
sub-package does not load statsmodels, scipy, SQLAlchemy or spaCy for every other.

Used by the ``__init__.py`` of ``quant`` and of every sub-package of ``quant`` and ``coding``::

    __getattr__, __dir__ = exports(__name__, {"fit": "quant.models.dispatch", ...})
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["exports"]


def exports(package: str, table: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    table : mapping of str to str
        Public name -> the module (dotted, absolute) that defines it.

    Returns
    -------
    (getattr, dir)
        ``getattr(name)`` imports the defining module, caches the value in the package and
        returns it; a name not in ``table`` is tried as a submodule (``quant.models`` reached
        as an attribute), else ``AttributeError``. ``dir()`` lists ``table``'s names and the
        package's ``__all__`` (names it defines itself, such as its errors).
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> object:
        module = table.get(name)
        if module is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(table) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
