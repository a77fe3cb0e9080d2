"""rbcc's executor: the deployment manager, local agents, the bus, script recipes, durable state.

Front door for the command line and the tests: :func:`load_plan`, :class:`Settings`,
:class:`Session` (one run on an application's state directory), :func:`plan_changes`
(``rbcc plan``), :func:`read_status` (``rbcc status`` without starting anything).
"""

from __future__ import annotations

from rbcc.runtime.plan import Plan, PlanError, load_plan
from rbcc.runtime.planner import DeployPlan, plan_changes
from rbcc.runtime.session import Session, Summary
from rbcc.runtime.settings import Settings
from rbcc.runtime.status import read_status

__all__ = [
    "DeployPlan",
    "Plan",
    "PlanError",
    "Session",
    "Settings",
    "Summary",
    "load_plan",
    "plan_changes",
    "read_status",
]
