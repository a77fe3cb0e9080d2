"""Shared test helpers (``from tests.support import …``): paths, the shared corpus, the oracle, tool checks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CONFORMANCE = SHARED / "conformance" / "roboconf-core"
ORACLE_JAR = SHARED / "oracle" / "roboconf-core-oracle.jar"
FIXTURES = REPO / "tests" / "fixtures"
#: The same, for test modules that name it so.
FIXTURES_DIR = FIXTURES
REPO_DIR = REPO

#: CI sets this so that a missing tool fails the run instead of skipping tests.
REQUIRE_TOOLS = os.environ.get("RBCC_REQUIRE_TOOLS") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip with ``reason`` unless CI demands every tool (then fail loudly)."""
    if condition:
        return
    if REQUIRE_TOOLS:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def need_conformance() -> Path:
    need(CONFORMANCE.is_dir(), f"the shared conformance corpus is absent ({CONFORMANCE})")
    return CONFORMANCE


def need_oracle() -> Path:
    need(ORACLE_JAR.is_file(), f"the Java oracle is absent ({ORACLE_JAR})")
    need(shutil.which("java") is not None, "java is not installed")
    return ORACLE_JAR
