"""Roboconf's own test models: our verdict and codes against what its Java code produced.

Every entry of ``expectations.json`` is checked: the verdict (any error or not) must always
match; the multiset of codes must match except for the entries listed in
``CONFORMANCE_DEVIATIONS``, each explained in docs/deviations.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from rbcc.dsl.checks.model import validate_instances
from rbcc.dsl.model.graph_builder import load_graph
from rbcc.dsl.model.instances_builder import load_instances
from rbcc.dsl.text.files import Sources
from rbcc.dsl.text.parser import ParseCache
from rbcc.dsl.validate import Validator
from tests.support import CONFORMANCE, REPO, need_conformance

#: entries whose code multiset differs on purpose (key → short reason); see docs/deviations.md
CONFORMANCE_DEVIATIONS: dict[str, str] = {
    "applications/app-for-templates": "graph warnings reported once, not twice (deviations.md §2)",
}

PIPELINES_HANDLED_HERE = {
    "graph_file",
    "instances_file_graph_independent",
    "instances_file_with_graph",
    "application_load",
    "application_load_flexibly_filtered_for_recipes",
    "parse+parse_model",
}


def _entries() -> list[tuple[str, dict]]:
    path = CONFORMANCE / "expectations.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return sorted(data.items())


def graph_text_from_description(description: str) -> str:
    """Turn the expectations' description of an in-memory Java graph into graph text.

    ``VM(target) -> Tomcat(puppet; exports Tomcat.ip, Tomcat.port=8080) -> WAR(script)`` is a
    containment chain; ``installer`` may be spelled out; ``only`` means a single component.
    """
    description = description.replace(" only", "").replace("child ", "")
    blocks = []
    parts = [p.strip() for p in description.split("->")]
    for i, part in enumerate(parts):
        m = re.fullmatch(r"(\w+)\((.*)\)", part)
        assert m, part
        name, inside = m.groups()
        fields = [f.strip() for f in inside.split(";")]
        installer = fields[0].replace("installer", "").strip()
        lines = [f"{name} {{", f"\tinstaller: {installer};"]
        for f in fields[1:]:
            if f.startswith("exports"):
                lines.append(f"\texports: {f[len('exports') :].strip().replace('=null', '')};")
        if i + 1 < len(parts):
            child = re.match(r"(\w+)", parts[i + 1]).group(1)
            lines.append(f"\tchildren: {child};")
        lines.append("}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def run_pipeline(key: str, entry: dict, tmp_path: Path) -> list[str] | None:
    """The codes rbcc reports for one conformance entry, through the entry's pipeline."""
    resources = CONFORMANCE / "resources"
    path = resources / key
    pipeline = entry["pipeline"]
    validator = Validator(compat="roboconf")
    if pipeline in ("graph_file", "application_load", "application_load_flexibly_filtered_for_recipes"):
        return [p.code for p in validator.validate(path).problems]
    if pipeline in ("instances_file_graph_independent", "parse+parse_model"):
        return [p.code for p in validator._instances_alone(path).problems]
    if pipeline == "instances_file_with_graph":
        graph_file = tmp_path / "in-memory.graph"
        graph_file.write_text(graph_text_from_description(entry["graph_used"]), encoding="utf-8")
        cache = ParseCache()
        graph, graph_problems = load_graph(graph_file.name, "", Sources(tmp_path), cache)
        assert not graph_problems, graph_problems
        roots, problems, _files = load_instances(path.name, "", graph, Sources(path.parent), cache)
        if not problems:
            problems = validate_instances(graph, roots)
        return [p.code for p in problems]
    return None


ALL_ENTRIES = _entries()
#: the other pipelines (commands, rules, descriptor) are checked by test_conformance_commands_rules.py
ENTRIES = [(k, e) for k, e in ALL_ENTRIES if e["pipeline"] in PIPELINES_HANDLED_HERE]


@pytest.mark.parametrize("key,entry", ENTRIES or [("<absent>", {})], ids=[k for k, _ in ENTRIES] or ["absent"])
def test_conformance_entry(key: str, entry: dict, tmp_path: Path) -> None:
    need_conformance()
    codes = run_pipeline(key, entry, tmp_path)
    expected = entry["errors"] + entry["warnings"]
    from rbcc.dsl.catalogue import CODES, Level

    got_error = any(CODES[c].level is Level.ERROR for c in codes if c in CODES)
    assert got_error == bool(entry["errors"]), f"verdict differs: got {sorted(codes)}, Roboconf {sorted(expected)}"
    if key in CONFORMANCE_DEVIATIONS:
        assert Counter(codes) != Counter(expected), f"{key} now matches Roboconf: remove it from the deviations"
        return
    assert Counter(codes) == Counter(expected)


def test_deviations_are_documented_and_few() -> None:
    need_conformance()
    text = (REPO / "docs" / "deviations.md").read_text(encoding="utf-8")
    for key in CONFORMANCE_DEVIATIONS:
        assert key in text, f"{key} is not explained in docs/deviations.md"
    assert len(CONFORMANCE_DEVIATIONS) <= 0.05 * len(ALL_ENTRIES)
