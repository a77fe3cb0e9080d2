"""The ``rbcc`` command line: one module per subcommand, a thin shell over the library APIs.

Exit statuses: 0 done (clean), 1 problems found (errors, or warnings with ``--werror``),
2 usage error or tool failure.  Library code raises :class:`rbcc.errors.RbccError`; this package
is the only place that turns it into ``rbcc: <message>`` and an exit status
(:class:`rbcc.cli.base.RbccCommand`).  Each subcommand
imports what it drives inside its function, so that ``rbcc validate`` starts fast.
"""

from __future__ import annotations

import click

from rbcc import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rbcc")
def main() -> None:
    """rbcc: validate, document, compile and deploy Roboconf applications."""


def _register() -> None:
    from rbcc.cli.agent import agent
    from rbcc.cli.agent_image import agent_image
    from rbcc.cli.bind import bind, unbind
    from rbcc.cli.compile import compile_
    from rbcc.cli.deploy import deploy
    from rbcc.cli.doc import doc
    from rbcc.cli.events import events
    from rbcc.cli.fmt import fmt
    from rbcc.cli.graph import graph
    from rbcc.cli.logs import logs
    from rbcc.cli.lsp import lsp
    from rbcc.cli.plan import plan
    from rbcc.cli.run_commands import run_commands
    from rbcc.cli.simulate import simulate
    from rbcc.cli.start import start_
    from rbcc.cli.status import status
    from rbcc.cli.stop import stop_
    from rbcc.cli.undeploy import undeploy_
    from rbcc.cli.validate import validate

    for command in (
        validate,
        compile_,
        graph,
        doc,
        lsp,
        fmt,
        simulate,
        deploy,
        plan,
        status,
        start_,
        stop_,
        undeploy_,
        logs,
        agent_image,
        events,
        run_commands,
        agent,
        bind,
        unbind,
    ):
        main.add_command(command)


_register()
