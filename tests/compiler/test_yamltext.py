"""The YAML writer of the container targets: whatever it writes, a YAML reader reads back the same values."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rbcc.compiler.targets.yamltext import dump, dump_all, escape_dollars

scalars = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=4),
    max_leaves=25,
)
documents = st.dictionaries(st.text(min_size=1, max_size=10), values, min_size=1, max_size=5)


@settings(max_examples=40, deadline=None)
@given(documents)
def test_every_document_reads_back_identically(doc: dict):
    assert yaml.safe_load(dump(doc)) == doc


@settings(max_examples=15, deadline=None)
@given(st.lists(documents, min_size=1, max_size=3))
def test_several_documents_read_back_in_order(docs: list[dict]):
    assert list(yaml.safe_load_all(dump_all(docs))) == docs


def test_strings_a_reader_could_misread_are_quoted():
    text = dump({"env": {"A": "no", "B": "08", "C": "22:22", "D": "on", "E": "1e3", "F": "~"}})
    assert all(line.split(": ", 1)[1].startswith('"') for line in text.splitlines()[1:])


def test_dollars_are_doubled_for_compose():
    assert escape_dollars({"a": ["$x", {"b": "a$$b"}]}) == {"a": ["$$x", {"b": "a$$$$b"}]}


def test_dump_with_dollars_writes_what_escape_dollars_then_dump_write():
    doc = {"a": ["$x", {"b": "a$$b", "n": 1}], "env": {"K": "$HOME", "L": "x"}, "k$": "v$"}
    assert dump(doc, dollars=True) == dump(escape_dollars(doc))
