"""Instance life-cycle states (runtime.md §1.1) and the groups the executor reasons with."""

from __future__ import annotations

from enum import Enum


class State(str, Enum):
    """A Roboconf instance state; the value is Roboconf's name."""

    NOT_DEPLOYED = "NOT_DEPLOYED"
    DEPLOYING = "DEPLOYING"
    DEPLOYED_STOPPED = "DEPLOYED_STOPPED"
    UNRESOLVED = "UNRESOLVED"
    WAITING_FOR_ANCESTOR = "WAITING_FOR_ANCESTOR"
    STARTING = "STARTING"
    DEPLOYED_STARTED = "DEPLOYED_STARTED"
    STOPPING = "STOPPING"
    UNDEPLOYING = "UNDEPLOYING"
    PROBLEM = "PROBLEM"

    @classmethod
    def parse(cls, text: str) -> State:
        """A state from its name, in any case (Roboconf's names are case-insensitive)."""
        try:
            return cls(text.strip().upper())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown state {text!r} (one of {names})") from None


STABLE = frozenset(
    {
        State.NOT_DEPLOYED,
        State.DEPLOYED_STOPPED,
        State.UNRESOLVED,
        State.WAITING_FOR_ANCESTOR,
        State.DEPLOYED_STARTED,
    }
)
#: the states a request may ask for
REQUESTABLE = frozenset({State.NOT_DEPLOYED, State.DEPLOYED_STOPPED, State.DEPLOYED_STARTED})
TRANSIENT = frozenset({State.DEPLOYING, State.STARTING, State.STOPPING, State.UNDEPLOYING})
#: a child may be deployed under a parent in one of these states (§1.4)
DEPLOYABLE_UNDER = frozenset(
    {State.DEPLOYED_STARTED, State.DEPLOYED_STOPPED, State.UNRESOLVED, State.WAITING_FOR_ANCESTOR}
)
#: what a transient state goes back to when its step was interrupted by a crash
INTERRUPTED_FALLBACK = {
    State.DEPLOYING: State.NOT_DEPLOYED,
    State.STARTING: State.DEPLOYED_STOPPED,
    State.STOPPING: State.DEPLOYED_STARTED,
    State.UNDEPLOYING: State.DEPLOYED_STOPPED,
}
#: the step a transient state runs, and the state its success leads to
TRANSIENT_STEP = {
    State.DEPLOYING: "deploy",
    State.STARTING: "start",
    State.STOPPING: "stop",
    State.UNDEPLOYING: "undeploy",
}
COMPLETED = {
    State.DEPLOYING: State.DEPLOYED_STOPPED,
    State.STARTING: State.DEPLOYED_STARTED,
    State.STOPPING: State.DEPLOYED_STOPPED,
    State.UNDEPLOYING: State.NOT_DEPLOYED,
}
