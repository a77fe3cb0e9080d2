"""Every example of the error catalogue is true: it reports its code, and only the codes it declares.

An example (``example`` in ``dsl/catalogue/*.toml``) is a tiny project written as ``--- <path>``
sections (``rbcc.dsl.catalogue.example_files``). Each one is written to a directory and validated
as ``rbcc validate --compat roboconf`` would; the reported codes must be exactly the example's code
plus its ``example_also``. The default mode (every independent problem, docs/deviations.md §11)
reports the example's code too, with the same verdict. A change of the validator that makes an example stale fails here, so the
documentation (docs/error-codes.md, the SARIF rules' help) cannot drift from the behaviour.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rbcc.dsl import validate_path
from rbcc.dsl.catalogue import CODES, CodeInfo, Reach, example_files

EXAMPLES = [info for info in CODES.values() if info.example]


def materialize(root: Path, example: str) -> Path:
    """Write the example's files and directories under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in example_files(example):
        path = root / rel
        if text is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("info", EXAMPLES, ids=lambda info: info.code)
def test_the_example_reports_its_code_and_only_the_codes_it_declares(info: CodeInfo, tmp_path: Path):
    result = validate_path(materialize(tmp_path / "app", info.example), compat="roboconf")
    reported = sorted({p.code for p in result.problems})
    assert info.code in reported, [(p.code, p.message) for p in result.problems]
    assert reported == sorted({info.code, *info.example_also})


@pytest.mark.parametrize("info", EXAMPLES, ids=lambda info: info.code)
def test_the_default_mode_reports_the_example_code_with_the_same_verdict(info: CodeInfo, tmp_path: Path):
    root = materialize(tmp_path / "app", info.example)
    staged = validate_path(root, compat="roboconf").problems
    default = validate_path(root).problems
    assert {p.code for p in staged} <= {p.code for p in default}, [(p.code, p.message) for p in default]
    assert any(p.is_error for p in default) == any(p.is_error for p in staged)


def test_the_codes_an_example_also_reports_are_catalogued_and_differ_from_its_own():
    for info in EXAMPLES:
        for other in info.example_also:
            assert other in CODES and other != info.code, (info.code, other)


def test_every_code_an_input_can_produce_has_an_example_and_no_other_code_has_one():
    for info in CODES.values():
        if info.origin == "compile":
            continue  # produced by `rbcc compile`, not by validation: tests/compiler exercises each
        assert bool(info.example) == (info.reach is Reach.INPUT), info.code


def sentences(text: str) -> int:
    """Sentences of a Markdown paragraph: code spans and "e.g." do not end one."""
    prose = re.sub(r"`[^`]*`", "code", text).replace("e.g.", "eg").replace("i.e.", "ie")
    return len(re.findall(r"[.!?](?:\s|$)", prose))


def test_every_code_has_an_explanation_of_one_paragraph_of_two_to_five_sentences():
    for info in CODES.values():
        text = info.explanation.strip()
        assert "\n\n" not in text, info.code
        assert 2 <= sentences(text) <= 5, info.code
