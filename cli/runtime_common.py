"""What the executor's subcommands share: where the state lives, the settings, running a session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click

STATE_DIR_NAME = ".rbcc"


def state_dir_of(source: Path, state_dir: Path | None) -> Path:
    """``--state-dir``, else ``<application>/.rbcc`` (or ``.rbcc`` beside a plan file)."""
    if state_dir is not None:
        return state_dir
    base = source if source.is_dir() else source.parent
    return base / STATE_DIR_NAME


def app_dir_of(source: Path, app_dir: Path | None) -> Path:
    if app_dir is not None:
        return app_dir.resolve()
    return (source if source.is_dir() else Path.cwd()).resolve()


def state_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--state-dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Where the deployment's state lives (default: APP/.rbcc).",
    )(fn)
    return fn


def settings_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--app-dir",
                type=click.Path(path_type=Path, file_okay=False, exists=True),
                help="The application directory a plan file's recipes are taken from (default: .).",
            ),
            click.option(
                "--failure-mode",
                type=click.Choice(("problem", "roboconf")),
                default="problem",
                show_default=True,
                help="problem: a failed step puts that instance alone in PROBLEM; roboconf: Roboconf's fallbacks.",
            ),
            click.option(
                "--cascade/--no-cascade",
                default=True,
                show_default=True,
                help="Stop and undeploy run the descendants' recipes too, deepest first (Roboconf: --no-cascade).",
            ),
            click.option("--max-parallel", type=click.IntRange(min=1), help="Recipes running at once (default: CPUs)."),
            click.option(
                "--recipe-timeout",
                type=click.FloatRange(min=0),
                default=1800.0,
                show_default=True,
                help="Seconds a recipe may run (0: no limit); then its process group is killed.",
            ),
            click.option("--forbidden-ports", metavar="P,P...", help="Ports random-port allocation must not use."),
            click.option("--json", "as_json", is_flag=True, help="Events as JSON, one per line, then the summary."),
        ]
    ):
        fn = option(fn)
    return fn


def network_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Where machines run and how the manager talks to their agents (docs/deploy.md, "Machines")."""
    for option in reversed(
        [
            click.option(
                "--bus",
                type=click.Choice(("inprocess", "websocket", "rabbitmq")),
                default=None,
                help="The messaging between manager and agents (default: inprocess, or websocket when a machine "
                "runs out of the rbcc process).",
            ),
            click.option(
                "--bus-port",
                type=click.IntRange(0, 65535),
                default=0,
                help="The WebSocket broker's port (default: the one this deployment used last, else a free one).",
            ),
            click.option("--bus-host", default="127.0.0.1", show_default=True, help="Where the broker listens."),
            click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True), help="TLS certificate (wss://)."),
            click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), help="TLS private key."),
            click.option(
                "--handler",
                type=click.Choice(("local", "process", "docker", "remote")),
                help="The target handler of every machine whose target is not chosen with --target.",
            ),
            click.option(
                "--messaging",
                multiple=True,
                metavar="KEY=VALUE",
                help="A Roboconf messaging property for --bus rabbitmq (net.roboconf.messaging.rabbitmq.*).",
            ),
            click.option(
                "--target",
                "targets",
                multiple=True,
                metavar="ID",
                help="Use the target file with this id for the machines whose component has it (repeatable).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def make_settings(
    failure_mode: str,
    cascade: bool,
    max_parallel: int | None,
    recipe_timeout: float,
    forbidden_ports: str | None,
    bus: str | None = None,
    bus_port: int = 0,
    bus_host: str = "127.0.0.1",
    tls_cert: str | None = None,
    tls_key: str | None = None,
    handler: str | None = None,
    targets: tuple[str, ...] = (),
    messaging: tuple[str, ...] = (),
) -> Any:
    from rbcc.runtime import Settings

    ports: tuple[int, ...] = ()
    if forbidden_ports:
        try:
            ports = tuple(int(p) for p in forbidden_ports.split(",") if p.strip())
        except ValueError:
            raise click.BadParameter("a comma-separated list of port numbers", param_hint="--forbidden-ports") from None
    extra: dict[str, Any] = {}
    if max_parallel is not None:
        extra["max_parallel_steps"] = max_parallel
    if bus is None:
        bus = "auto"
    pairs = []
    for item in messaging:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--messaging")
        pairs.append((key.strip(), value.strip()))
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    return Settings(
        failure_mode=failure_mode,
        cascade_recipes=cascade,
        recipe_timeout=recipe_timeout,
        forbidden_ports=ports,
        bus=bus,
        bus_port=bus_port,
        bus_host=bus_host,
        tls_cert=str(Path(tls_cert).resolve()) if tls_cert else None,
        tls_key=str(Path(tls_key).resolve()) if tls_key else None,
        handler=handler,
        targets=tuple(targets),
        messaging=tuple(pairs),
        **extra,
    )


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        raise click.Abort() from None


def autonomic_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The manager's preferences (autonomic VM cap, mail) and the probe period."""
    for option in reversed(
        [
            click.option(
                "--preferences",
                "preferences_file",
                type=click.Path(path_type=Path, dir_okay=False, exists=True),
                help="A Java properties file of manager preferences (autonomic.maximum.vm.number, mail.*, …).",
            ),
            click.option(
                "--preference",
                "preference_pairs",
                multiple=True,
                metavar="KEY=VALUE",
                help="One manager preference (repeatable; wins over --preferences).",
            ),
            click.option(
                "--probe-period",
                type=click.FloatRange(min=0, min_open=True),
                default=20.0,
                show_default=True,
                help="Seconds between two samplings of the probes (with --watch).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def with_autonomic(
    settings: Any, preferences_file: Path | None, pairs: tuple[str, ...], probe_period: float, watch: bool
) -> Any:
    """``settings`` with the preferences, the probe period and, for ``--watch``, autonomic management on."""
    import dataclasses

    from rbcc.dsl.java import read_properties_text

    prefs: list[tuple[str, str]] = []
    if preferences_file is not None:
        try:
            prefs.extend(read_properties_text(preferences_file.read_bytes()).items())
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"cannot read {preferences_file}: {exc}", param_hint="--preferences") from None
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--preference")
        prefs.append((key.strip(), value.strip()))
    return dataclasses.replace(settings, preferences=tuple(prefs), probe_period=probe_period, autonomic=watch)
