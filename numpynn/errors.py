"""The errors numpynn raises for bad input, as opposed to bugs.

Every check of a user's data, file, argument or option raises an ``InputError`` (a ``ValueError``, so
``except ValueError`` still catches it) whose message names the problem and the fix. The command line
prints these on one line and exits with status 2; any other exception is a bug and shows its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: data, a file, an argument or an option. The message says what is wrong and how to fix it."""


class InputTypeError(InputError, TypeError):
    """Input of the wrong type (a string where numbers belong, a function where a layer belongs, ...)."""


class UsageError(InputError):
    """A bad command-line option or argument."""


class MissingDependencyError(InputError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra that brings it."""


def missing_dependency(feature: str, package: str, extra: str) -> MissingDependencyError:
    """The error for ``feature`` needing ``package``, installed with numpynn's ``extra``."""
    return MissingDependencyError(f"{feature} needs {package}: pip install 'numpynn[{extra}]'.")
