"""The environment of a script recipe (runtime.md §4.2), built as a dict, never as a shell string.

Groups in increasing precedence: own exports and ancestors' exports < ``ROBOCONF_*`` < imports <
``ROBOCONF_FILES_DIR`` and the update variables.  Null values are omitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rbcc.compiler.ir.names import clean_path, clean_reversed_path, env_name


@dataclass(frozen=True)
class Received:
    """One import: the exporter's path and component, and the variables received (full names)."""

    path: str
    component: str
    variables: Mapping[str, str | None]
    #: the exporter's application, for an import of another application's exports (``external``)
    application: str | None = None


@dataclass(frozen=True)
class UpdateInfo:
    """Why ``update`` runs: the import that came (DEPLOYED_STARTED) or went (DEPLOYED_STOPPED)."""

    status: str
    prefix: str
    changed: Received


def local_name(variable: str) -> str:
    """``storm_nimbus.ip`` → ``ip`` (the name after the prefix)."""
    return variable.split(".", 1)[1] if "." in variable else variable


def recipe_environment(
    *,
    application: str,
    step: str,
    path: str,
    name: str,
    component: str,
    exports: Mapping[str, str | None],
    ancestors: Sequence[tuple[str, Mapping[str, str | None]]],
    imports: Mapping[str, Sequence[Received]],
    files_dir: str,
    update: UpdateInfo | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment for one recipe run (``base`` is the agent's own environment)."""
    env: dict[str, str] = dict(base or {})
    for component_name, values in ancestors:
        for var, value in values.items():
            if value is not None:
                env[f"ANCESTOR_{env_name(component_name)}_{env_name(local_name(var))}"] = value
    for var, value in exports.items():
        if value is not None:
            env[env_name(local_name(var))] = value
    env.update(
        {
            "ROBOCONF_INSTANCE_NAME": name,
            "ROBOCONF_INSTANCE_PATH": path,
            "ROBOCONF_COMPONENT_NAME": component,
            "ROBOCONF_CLEAN_INSTANCE_PATH": clean_path(path),
            "ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH": clean_reversed_path(path),
            "ROBOCONF_APPLICATION_NAME": application,
            "ROBOCONF_STEP": step,
        }
    )
    for prefix, received in imports.items():
        env[f"{prefix}_size"] = str(len(received))
        for i, imp in enumerate(received):
            env[f"{prefix}_{i}_name"] = imp.path
            for var, value in imp.variables.items():
                if value is not None:
                    env[f"{prefix}_{i}_{env_name(local_name(var))}"] = value
    env["ROBOCONF_FILES_DIR"] = files_dir
    if update is not None:
        env["ROBOCONF_UPDATE_STATUS"] = update.status
        env["ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH"] = update.changed.path
        env["ROBOCONF_IMPORT_CHANGED_COMPONENT"] = update.prefix
        for var, value in update.changed.variables.items():
            if value is not None:
                env[f"ROBOCONF_IMPORT_CHANGED_{env_name(local_name(var))}"] = value
    return env
