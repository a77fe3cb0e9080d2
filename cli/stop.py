"""``rbcc stop``: Stop INSTANCEs (a machine: each of its children); default: the whole application."""

from __future__ import annotations

from rbcc.cli.lifecycle_common import lifecycle_command

stop_ = lifecycle_command("stop", "Stop INSTANCEs (a machine: each of its children); default: the whole application.")
