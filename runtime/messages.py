"""The messages of runtime.md §5.2 as JSON-ready dicts (``type`` + snake_case fields).

Only constructors live here, so that every sender spells a message the same way; receivers
dispatch on ``msg["type"]``.  rbcc adds ``StepEvent`` (an agent telling the manager a recipe
starts or ends, for the live view and the event log); there is no wire compatibility with Java
Roboconf.
"""

from __future__ import annotations

from typing import Any

from rbcc.runtime.bus import Message


def set_scoped_instance(
    app: str, scoped_path: str, model: list[dict[str, Any]], bindings: dict[str, list[str]] | None = None
) -> Message:
    """The machine's model; ``application_bindings``: external prefix → the applications bound to it (§3.5)."""
    return {
        "type": "SetScopedInstance",
        "application": app,
        "scoped_instance": scoped_path,
        "model": model,
        "application_bindings": dict(bindings or {}),
    }


def change_instance_state(app: str, path: str, new_state: str) -> Message:
    return {"type": "ChangeInstanceState", "application": app, "instance_path": path, "new_state": new_state}


def remove_instance(app: str, path: str) -> Message:
    return {"type": "RemoveInstance", "application": app, "instance_path": path}


def send_instances(app: str) -> Message:
    return {"type": "SendInstances", "application": app}


def resynchronize(app: str) -> Message:
    return {"type": "Resynchronize", "application": app}


def heartbeat(app: str, scoped_path: str, ip: str, model_required: bool) -> Message:
    return {
        "type": "Heartbeat",
        "application": app,
        "scoped_instance_path": scoped_path,
        "ip_address": ip,
        "model_required": model_required,
    }


def instance_changed(
    app: str, path: str, status: str, imports: dict[str, list[dict[str, Any]]], last_problem: Any = None
) -> Message:
    return {
        "type": "InstanceChanged",
        "application": app,
        "instance_path": path,
        "new_status": status,
        "new_imports": imports,
        "last_problem": last_problem,
    }


def instance_removed(app: str, path: str) -> Message:
    return {"type": "InstanceRemoved", "application": app, "instance_path": path}


def machine_down(app: str, scoped_path: str) -> Message:
    return {"type": "MachineDown", "application": app, "scoped_instance_path": scoped_path}


def step_event(app: str, path: str, step: str, phase: str, exit_code: int | None = None) -> Message:
    return {
        "type": "StepEvent",
        "application": app,
        "instance_path": path,
        "step": step,
        "phase": phase,
        "exit_code": exit_code,
    }


def step_log(app: str, path: str, step: str, text: str) -> Message:
    """What one run of a step printed, for a manager that cannot read the agent's files (``remote``)."""
    return {"type": "StepLog", "application": app, "instance_path": path, "step": step, "text": text}


def add_import(app: str, prefix: str, path: str, component: str, variables: dict[str, str | None]) -> Message:
    return {
        "type": "AddImport",
        "application": app,
        "component_or_facet_name": prefix,
        "instance_path": path,
        "component_name": component,
        "exported_variables": variables,
    }


def remove_import(app: str, prefix: str, path: str) -> Message:
    return {"type": "RemoveImport", "application": app, "component_or_facet_name": prefix, "instance_path": path}


def request_import(app: str, prefix: str) -> Message:
    return {"type": "RequestImport", "application": app, "component_or_facet_name": prefix}


def external(msg: Message) -> Message:
    """``msg`` (AddImport, RemoveImport, RequestImport) as sent on an inter-application topic (§3.5)."""
    return {**msg, "inter_app": True}


def change_binding(app: str, prefix: str, applications: list[str]) -> Message:
    """The applications the external ``prefix`` of ``app`` is bound to now (Roboconf's ChangeBinding)."""
    return {
        "type": "ChangeBinding",
        "application": app,
        "external_exports_prefix": prefix,
        "app_names": sorted(applications),
    }


def autonomic(app: str, scoped_path: str, event: str, info: str, instance_path: str | None = None) -> Message:
    """A probe fired (runtime.md §6.1); rbcc adds the instance whose measure it was."""
    return {
        "type": "Autonomic",
        "application": app,
        "scoped_instance_path": scoped_path,
        "event_name": event,
        "event_info": info,
        "instance_path": instance_path,
    }
