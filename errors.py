"""The root of every tool failure rbcc raises.

Library code never exits the process: it raises an :class:`RbccError` (or a subclass) with a
message a user can act on, and only :mod:`rbcc.cli` turns it into an exit status.  Problems
found *in a project* are not exceptions: they are :class:`rbcc.dsl.Problem` values with codes
and ranges.  An ``RbccError`` means the tool could not do its job at all (no such application,
``dot`` missing, an unwritable output directory).
"""

from __future__ import annotations


class RbccError(Exception):
    """A failure of the tool itself, reported as ``rbcc: <message>`` with exit status 2."""

    #: The process exit status the command line uses for this failure.
    exit_status: int = 2


class UsageError(RbccError):
    """The request cannot be carried out as given (a bad option value, a path of the wrong kind)."""
