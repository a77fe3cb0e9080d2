"""Roboconf's own commands, rules and descriptor test resources against what its Java code said.

Every entry of ``expectations.json`` whose pipeline is ``commands_parse``, ``rule_parse`` or
``descriptor_validation`` is checked: the error and warning code multisets must be equal, and so
must the recognised instructions (commands) and the parsed rule (rules) when the entry lists them.

The Java tests (``CommandsParserTest``) validate commands against ``TestApplication``: the graph
``vm (target) → tomcat, mysql (puppet)``, ``tomcat → war (script)`` and the instances below.
Some of them first copy commands files into the application's ``commands/`` directory; the
entry's ``assertion`` names them (``commands/<name>.commands``) and their text is the resource
of the same name.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from rbcc.dsl.catalogue import Level
from rbcc.dsl.checks.descriptor import validate_descriptor
from rbcc.dsl.commands import SimpleComponent, SimpleContext, parse_commands
from rbcc.dsl.model.descriptor import read_descriptor
from rbcc.dsl.rules.parser import parse_rule
from tests.support import REPO_DIR, need_conformance

SHARED_CONFORMANCE = (REPO_DIR.parent / "shared") / "conformance"
ROOT = SHARED_CONFORMANCE / "roboconf-core"
RESOURCES = ROOT / "resources"
PIPELINES = ("commands_parse", "rule_parse", "descriptor_validation")

#: Roboconf's TestApplication (core/src/main/java/.../internal/tests/TestApplicationTemplate)
TEST_APPLICATION_COMPONENTS = {
    "vm": SimpleComponent((), "target"),
    "tomcat": SimpleComponent(("vm",), "puppet"),
    "mysql": SimpleComponent(("vm",), "puppet"),
    "war": SimpleComponent(("tomcat",), "script"),
}
TEST_APPLICATION_INSTANCES = {
    "/tomcat-vm": "vm",
    "/tomcat-vm/tomcat-server": "tomcat",
    "/tomcat-vm/tomcat-server/hello-world": "war",
    "/mysql-vm": "vm",
    "/mysql-vm/mysql-server": "mysql",
}


def _entries() -> list:
    path = ROOT / "expectations.json"
    if not path.is_file():
        return [pytest.param(None, None, id="conformance-corpus-absent")]
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        pytest.param(key, entry, id=key) for key, entry in sorted(data.items()) if entry.get("pipeline") in PIPELINES
    ]


def _text(path: Path) -> str:
    """A resource as Roboconf reads it (UTF-8, line ends untouched)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def _split(problems) -> tuple[Counter, Counter]:
    errors = Counter(p.code for p in problems if p.level is Level.ERROR)
    warnings = Counter(p.code for p in problems if p.level is Level.WARNING)
    return errors, warnings


def _commands_context(entry: dict) -> SimpleContext:
    """TestApplication, with the commands files the Java test copied into its directory."""
    names = set(re.findall(r"commands/([\w.-]+)\.commands", entry.get("assertion", "")))
    texts = {}
    for name in names:
        resource = RESOURCES / "commands" / f"{name}.txt"
        if resource.is_file():
            texts[name] = _text(resource)
    return SimpleContext(dict(TEST_APPLICATION_COMPONENTS), dict(TEST_APPLICATION_INSTANCES), names, texts)


def _check_commands(key: str, entry: dict) -> list:
    # The resource is a .txt file: Roboconf's looping check (file name == <command>.commands)
    # can never match it, which is what name=None means.
    instructions, problems = parse_commands(_text(RESOURCES / key), key, None, _commands_context(entry))
    if "instructions" in entry:
        ours = [i.java_class + ("(disabled)" if i.disabled else "") for i in instructions]
        assert ours == entry["instructions"]
    return problems


def _check_rule(key: str, entry: dict) -> list:
    rule, problems = parse_rule(_text(RESOURCES / key), key)
    expected = entry.get("rule")
    if expected is not None:
        if rule is None:
            ours = {"name": "null", "event": "null", "commands": [], "sleep_period": 0, "timing_window": -1}
        else:
            ours = {
                "name": rule.name,
                "event": rule.event,
                "commands": rule.commands,
                "sleep_period": rule.sleep_period,
                "timing_window": rule.time_window,
            }
        assert ours == expected
    return problems


def _check_descriptor(key: str, entry: dict) -> list:
    desc, problems = read_descriptor(RESOURCES / key, key)
    if desc is not None:
        problems = problems + validate_descriptor(desc)
    return problems


CHECKS = {"commands_parse": _check_commands, "rule_parse": _check_rule, "descriptor_validation": _check_descriptor}


@pytest.mark.parametrize(("key", "entry"), _entries())
def test_conformance(key, entry):
    need_conformance()
    assert key is not None, f"no commands/rules/descriptor entries in {ROOT}/expectations.json"
    problems = CHECKS[entry["pipeline"]](key, entry)
    errors, warnings = _split(problems)
    assert errors == Counter(entry["errors"]), key
    assert warnings == Counter(entry["warnings"]), key
    for p in problems:
        assert p.range is not None and p.range.start_line >= 1 and p.range.start_column >= 1, p


def test_every_pipeline_is_covered():
    """The corpus has entries for each of the three pipelines (guards against a renamed key)."""
    need_conformance()
    keys = [p.values[1]["pipeline"] for p in _entries() if p.values[1] is not None]
    assert set(keys) == set(PIPELINES)
