"""``rbcc start``: Deploy and start INSTANCEs and their subtrees (default: the whole application)."""

from __future__ import annotations

from rbcc.cli.lifecycle_common import lifecycle_command

start_ = lifecycle_command("start", "Deploy and start INSTANCEs and their subtrees (default: the whole application).")
