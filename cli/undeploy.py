"""``rbcc undeploy``: Undeploy INSTANCEs and their subtrees; a machine is terminated. Default: the whole application."""

from __future__ import annotations

from rbcc.cli.lifecycle_common import lifecycle_command

undeploy_ = lifecycle_command(
    "undeploy", "Undeploy INSTANCEs and their subtrees; a machine is terminated. Default: the whole application."
)
