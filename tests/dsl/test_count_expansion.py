"""``count`` (dsl.md §8.4): linear expansion that names, orders and merges copies as before, and
Java's ``Integer.parseInt`` digits (any BMP decimal digit: ``２``, ``٣``).

The Java behaviours were checked with the oracle (``roboconf-core-oracle.jar check --graph``):
``count: ２`` / ``٣`` / ``+２`` / ``٣٣`` / ``५`` / ``๙`` / ``1０`` are accepted (2, 3, 2, 33, 5, 9,
10 instances); ``𝟐`` (outside the BMP), ``²`` and ``Ⅲ`` are PM_INVALID_INSTANCE_COUNT.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rbcc.dsl.java import parse_java_int
from rbcc.dsl.model.elements import Instance, walk_instances
from rbcc.dsl.model.instances_builder import _copy, expand_counts
from rbcc.dsl.problems import Problem, Related, problem
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import Holder, HolderKind
from rbcc.dsl.validate import Validator
from tests.dsl.test_instances import load, spans


def _reference_expand(roots: list[Instance], problems: list[Problem]) -> list[Instance]:
    """The quadratic expansion rbcc had before (each copy checked against every sibling, one
    insert per root copy): the specification the linear one must match."""
    result = list(roots)
    declared_roots = {r.name: r for r in roots}
    renamed: set[int] = set()
    for root in list(roots):
        for inst in reversed(list(root.walk())):
            n = inst.count
            if n <= 1:
                continue
            width = len(str(n))
            siblings = inst.parent.children if inst.parent is not None else result
            base = inst.name
            for i in range(2, n + 1):
                copy = _copy(inst, inst.parent)
                copy.name = base + str(i).zfill(width)
                if inst.parent is None:
                    clash = declared_roots.get(copy.name)
                    if clash is not None and id(clash) not in renamed:
                        problems.append(
                            problem(
                                "CO_CONFLICTING_INFERRED_INSTANCE",
                                inst.block.decl_range,
                                ("INSTANCE", copy.name),
                                related=[Related(clash.block.decl_range, f"`{copy.name}` is declared here")],
                            )
                        )
                        continue
                    result.insert(result.index(inst) + (i - 1), copy)
                elif not any(s.name == copy.name for s in siblings):
                    siblings.append(copy)
            inst.name = base + "1".zfill(width)
            renamed.add(id(inst))
    return result


# a tree: (name, count, children); names from a tiny alphabet so that copies clash with siblings
_NAMES = st.sampled_from(["a", "a2", "a3", "a1", "b", "b02", "b1", "a10"])
_COUNTS = st.sampled_from([1, 1, 2, 3, 11])  # 11: two-digit padding (`a02`)
_TREE = st.recursive(
    st.tuples(_NAMES, _COUNTS, st.just(())),
    lambda kids: st.tuples(_NAMES, _COUNTS, st.lists(kids, max_size=3).map(tuple)),
    max_leaves=8,
)


def _build(spec, parent: Instance | None, line: list[int]) -> Instance:
    name, count, children = spec
    line[0] += 1
    where = SourceRange.line_span("i.instances", line[0], 0, 5)
    inst = Instance(name, "VM", Holder(HolderKind.INSTANCE, "VM", where, where), where, where, None, parent)
    inst.count = count
    for child in children:
        c = _build(child, inst, line)
        if all(s.name != c.name for s in inst.children):  # siblings are a set, as after loading
            inst.children.append(c)
    return inst


def _forest(specs) -> list[Instance]:
    line = [0]
    roots: list[Instance] = []
    for spec in specs:
        r = _build(spec, None, line)
        if all(x.name != r.name for x in roots):
            roots.append(r)
    return roots


def _shape(roots: list[Instance]) -> list[tuple[str, str | None]]:
    return [(i.path, i.copied_from.path if i.copied_from else None) for i in walk_instances(roots)]


@settings(max_examples=60, deadline=None)
@given(st.lists(_TREE, min_size=1, max_size=4))
def test_linear_expansion_names_orders_and_merges_copies_as_the_reference(specs) -> None:
    ours_problems: list[Problem] = []
    ref_problems: list[Problem] = []
    ours = expand_counts(_forest(specs), ours_problems)
    ref = _reference_expand(_forest(specs), ref_problems)
    assert [r.name for r in ours] == [r.name for r in ref]
    assert _shape(ours) == _shape(ref)
    assert ours_problems == ref_problems


def test_count_on_a_nested_instance_makes_every_copy_once(tmp_path: Path) -> None:
    (tmp_path / "g.graph").write_text("VM {\n\tinstaller: target;\n\tchildren: T;\n}\nT {\n\tinstaller: x;\n}\n")
    (tmp_path / "i.instances").write_text(
        "instance of VM {\n\tname: vm;\n\tinstance of T {\n\t\tname: t;\n\t\tcount: 20000;\n\t}\n}\n"
    )
    _g, roots, problems = load("i.instances", "g.graph", tmp_path)
    assert problems == []
    names = [c.name for c in roots[0].children]
    assert len(names) == len(set(names)) == 20000
    assert names[:2] == ["t00001", "t00002"] and names[-1] == "t20000"


def test_root_copies_skip_a_declared_root_and_land_where_one_by_one_inserts_put_them(tmp_path: Path) -> None:
    (tmp_path / "g.graph").write_text("VM {\n\tinstaller: target;\n}\n")
    (tmp_path / "i.instances").write_text(
        "instance of VM {\n\tname: x;\n\tcount: 4;\n}\ninstance of VM {\n\tname: y;\n}\n"
        "instance of VM {\n\tname: x2;\n}\n"
    )
    _g, roots, problems = load("i.instances", "g.graph", tmp_path)
    assert spans(problems) == [("CO_CONFLICTING_INFERRED_INSTANCE", "error", "i.instances", 1, 1, 17)]
    # copy 2 clashes with the declared `x2`; copies 3 and 4 go to index + 2 and index + 3
    assert [r.name for r in roots] == ["x1", "y", "x3", "x4", "x2"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("\uff12", 2),  # FULLWIDTH DIGIT TWO
        ("\u0663", 3),  # ARABIC-INDIC DIGIT THREE
        ("+\uff12", 2),
        ("\u0663\u0663", 33),
        ("\u096b", 5),  # DEVANAGARI DIGIT FIVE
        ("1\uff10", 10),
        ("-7", -7),
        ("2147483647", 2**31 - 1),
        ("-2147483648", -(2**31)),
        ("2147483648", None),
        ("\U0001d7d0", None),  # MATHEMATICAL BOLD DIGIT TWO: a surrogate pair for Java
        ("\u00b2", None),  # SUPERSCRIPT TWO: a digit, not a decimal digit
        ("\u2162", None),  # ROMAN NUMERAL THREE
        ("", None),
        ("+", None),
        (" 3", None),
        ("3 ", None),
        ("1_0", None),
        ("0x10", None),
    ],
)
def test_parse_java_int_accepts_what_integer_parseint_accepts(text: str, value: int | None) -> None:
    assert parse_java_int(text) == value


@pytest.mark.parametrize(
    ("count", "instances", "codes"),
    [
        ("\uff12", ["vm1", "vm2"], []),
        ("\u0663", ["vm1", "vm2", "vm3"], []),
        ("\U0001d7d0", None, [("PM_INVALID_INSTANCE_COUNT", 3, 9, 10)]),
        ("\u00b2", None, [("PM_INVALID_INSTANCE_COUNT", 3, 9, 10)]),
    ],
)
def test_count_with_non_ascii_digits(tmp_path: Path, count: str, instances, codes) -> None:
    app = tmp_path / "app"
    for rel, text in {
        "descriptor/application.properties": "name = A\nversion = 1.0\ndsl-id = roboconf-1.0\n"
        "graph-entry-point = main.graph\ninstance-entry-point = main.instances\n",
        "graph/main.graph": "VM {\n\tinstaller: target;\n}\n",
        "graph/VM/readme.txt": "x",
        "instances/main.instances": f"instance of VM {{\n\tname: vm;\n\tcount: {count};\n}}\n",
    }.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text, encoding="utf-8")
    result = Validator().validate(app)
    got = [(p.code, p.range.start_line, p.range.start_column, p.range.end_column) for p in result.problems]
    assert got == codes
    if instances is not None:
        assert result.application is not None
        assert [i.name for i in walk_instances(result.application.instances)] == instances
