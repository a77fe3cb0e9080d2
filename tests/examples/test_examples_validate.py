"""The example applications stay valid, documented and runnable without Docker Hub.

Every example must be clean for ``rbcc validate`` (warnings only when its README explains them)
and for Roboconf's own validator, and its README must say how to compile it. The examples whose
stand-ins live in this repository reference only stand-in directories that exist, with a
Dockerfile based on ``busybox:local`` and an entrypoint that marks the container started.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rbcc.compiler import CompileOptions, compile_application
from rbcc.dsl import validate_path
from rbcc.dsl.java import read_properties_text
from tests.oracle_client import run_oracle
from tests.support import REPO, need_oracle

EXAMPLES_DIR = REPO / "examples"
EXAMPLES = sorted(p.parent.parent.name for p in EXAMPLES_DIR.glob("*/descriptor/application.properties"))
#: examples with container metadata whose stand-ins are written here (storm's come with the engine)
WITH_STANDINS = ["dbcluster", "facets", "webstack"]


def test_the_examples_are_all_found():
    assert set(EXAMPLES) >= {"storm", "lamp", "webstack", "dbcluster", "facets"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_validates_without_errors(name):
    result = validate_path(EXAMPLES_DIR / name)
    assert result.application is not None
    errors = [f"{p.code}: {p.message}" for p in result.problems if p.is_error]
    assert errors == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_warnings_are_explained_in_its_readme(name):
    readme = (EXAMPLES_DIR / name / "README.md").read_text()
    codes = {p.code for p in validate_path(EXAMPLES_DIR / name).problems if not p.is_error}
    assert {code for code in codes if code not in readme} == set()


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_readme_shows_how_to_compile_it(name):
    readme = (EXAMPLES_DIR / name / "README.md").read_text()
    assert f"rbcc validate examples/{name}" in readme
    assert f"rbcc compile examples/{name}" in readme


#: lamp has recipes only: its container targets need rbcc's executor image (CMP_RECIPES_NEED_EXECUTOR)
CONTAINER_EXAMPLES = [n for n in EXAMPLES if n != "lamp"]


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("profile", [None, "standin"])
def test_example_compiles_with_warnings_its_readme_explains(name, profile):
    targets = ["compose", "swarm", "k8s", "plan"] if name in CONTAINER_EXAMPLES else ["plan"]
    result = compile_application(EXAMPLES_DIR / name, targets, CompileOptions(profile=profile))
    assert [f"{p.code}: {p.message}" for p in result.problems if p.is_error] == []
    assert result.files
    readme = (EXAMPLES_DIR / name / "README.md").read_text()
    assert {p.code for p in result.problems if p.code not in readme and not p.is_error} == set()


def test_examples_index_mentions_every_example():
    index = (EXAMPLES_DIR / "README.md").read_text()
    assert [n for n in EXAMPLES if f"`{n}/`" not in index] == []


@pytest.mark.oracle
@pytest.mark.parametrize("name", EXAMPLES)
def test_roboconf_accepts_example(name):
    need_oracle()
    assert run_oracle(EXAMPLES_DIR / name) == ([], [])


def _standin_builds(name: str) -> list[tuple[Path, str]]:
    """(component directory, build@standin value) for every container.properties of an example."""
    out = []
    for props in sorted((EXAMPLES_DIR / name / "graph").glob("*/container.properties")):
        build = read_properties_text(props.read_bytes()).get("build@standin")
        if build is not None:
            out.append((props.parent, build))
    return out


@pytest.mark.parametrize("name", WITH_STANDINS)
def test_standin_builds_exist_inside_the_example(name):
    builds = _standin_builds(name)
    assert builds, "every component of these examples has a stand-in"
    example = (EXAMPLES_DIR / name).resolve()
    for component_dir, build in builds:
        context = (component_dir / build).resolve()
        assert context.is_relative_to(example / "standins"), (component_dir.name, build)
        dockerfile = (context / "Dockerfile").read_text()
        assert "FROM busybox:local" in dockerfile


@pytest.mark.parametrize(
    "script",
    sorted(p for n in WITH_STANDINS for p in (EXAMPLES_DIR / n / "standins").rglob("*") if p.suffix in (".sh", ".cgi")),
    ids=lambda p: str(p.relative_to(EXAMPLES_DIR)),
)
def test_standin_scripts_are_posix_sh(script):
    proc = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", WITH_STANDINS)
def test_every_standin_marks_itself_started(name):
    for entrypoint in (EXAMPLES_DIR / name / "standins").glob("*/entrypoint.sh"):
        assert "touch /run/rbcc/started" in entrypoint.read_text(), entrypoint
