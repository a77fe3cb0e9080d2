"""What ``rbcc graph`` and ``rbcc doc`` share: the graphviz package check and the errors warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from rbcc.errors import RbccError

if TYPE_CHECKING:
    from rbcc.compiler.views import Loaded


def need_graphviz_package() -> None:
    """Fail clearly when the ``graphviz`` Python package (a dependency of rbcc) is missing."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        raise RbccError("the graphviz Python package is needed to write diagrams: pip install graphviz") from None


def warn_errors(loaded: Loaded, what: str) -> None:
    """Say on stderr that the project has errors and that the output shows what could be loaded."""
    if loaded.errors:
        click.echo(
            f"rbcc: warning: {loaded.root} has {loaded.errors} error(s); the {what} shows what could be loaded "
            f"(see `rbcc validate {loaded.root}`)",
            err=True,
        )
