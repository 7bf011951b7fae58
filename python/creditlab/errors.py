"""The exceptions creditlab raises.

Every error of the library arrives as a subclass of :class:`Error` whose message is the
library's own (the file, the line and the field when it names them, and the reason).
``field`` and ``line`` carry the field (a dotted path such as ``loss.bank_rho``, a column
such as ``pd``, or the argument's name) and the 1-based line of the input file as data,
``None`` when the library names none.
"""

from __future__ import annotations

from typing import Optional


class Error(Exception):
    """Base class of every creditlab error."""

    field: Optional[str]
    line: Optional[int]

    def __init__(self, message: str, field: Optional[str] = None, line: Optional[int] = None):
        super().__init__(message)
        self.field = field
        self.line = line


class ArgumentError(Error, ValueError):
    """An argument creditlab cannot use (an unknown method, a missing column, ...)."""


class InputError(Error):
    """A tape, portfolio or other input file (or frame) that cannot be read: the message
    names the file, the line and the column."""


class ConfigError(Error):
    """A scenario, DeFi or deal configuration that cannot be used: the message names the
    file, the line and the key."""


class ModelError(Error, ValueError):
    """A model refused its inputs (a correlation outside [0, 1], a method that does not
    support the copula, ...): the message names the field and what it must be."""


class OutputError(Error):
    """The report cannot be written where asked (a folder creditlab did not write, ...)."""


__all__ = ["Error", "ArgumentError", "InputError", "ConfigError", "ModelError", "OutputError"]
