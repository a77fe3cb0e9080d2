"""File-level checks on parsed blocks: Roboconf's ParsingModelValidator (dsl.md §4).

These need no graph: names, property applicability, duplicate properties, list syntax, exports
and imports syntax, instance names and counts.
"""

from __future__ import annotations

from rbcc.dsl.model.variables import parse_exports, parse_imports
from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import Block, Holder, HolderKind, Import, ParsedFile, Property, Unknown

COMPONENT_PROPERTIES = ("installer", "children", "exports", "imports", "facets", "extends")
FACET_PROPERTIES = ("children", "exports", "extends")
INSTANCE_PROPERTIES = ("name", "channels", "count", "instance-data", "instance-state")
_KEYWORDS = {
    HolderKind.COMPONENT: COMPONENT_PROPERTIES,
    HolderKind.FACET: FACET_PROPERTIES,
    HolderKind.INSTANCE: INSTANCE_PROPERTIES,
}


def validate_file(parsed: ParsedFile) -> list[Problem]:
    """Problems of every top-level block of ``parsed``, in Roboconf's order.

    The result depends on the blocks only, so it is kept with the (cached) parse.
    """

    def check() -> list[Problem]:
        out: list[Problem] = []
        for block in parsed.blocks:
            validate_block(block, out)
        return out

    return list(parsed.memo("checks", check))


def validate_block(block: Block, out: list[Problem]) -> None:
    if isinstance(block, Import):
        if lx.is_blank(block.uri):
            out.append(problem("PM_EMPTY_IMPORT_LOCATION", block.range, note="Give the path of the file to import."))
    elif isinstance(block, Unknown):
        out.append(
            problem(
                "PM_INVALID_BLOCK_TYPE",
                block.range,
                ("INSTRUCTION", "7"),
                note="This declaration could not be read (see the syntax error on this line).",
            )
        )
    elif isinstance(block, Holder):
        _holder(block, out)


def _holder(h: Holder, out: list[Problem]) -> None:
    name = h.name
    if lx.is_blank(name):
        code = "PM_EMPTY_FACET_NAME" if h.kind is HolderKind.FACET else "PM_EMPTY_COMPONENT_NAME"
        out.append(problem(code, h.decl_range))
    elif not lx.is_id(name):
        out.append(problem("PM_INVALID_NAME", h.name_range, ("NAME", name), note=lx.invisible_note(name, "name")))
    elif "." in name:
        out.append(problem("PM_DOT_IS_NOT_ALLOWED", h.name_range, ("NAME", name)))
    seen: set[str] = set()
    supported = _KEYWORDS[h.kind]
    for item in h.items:
        if isinstance(item, Holder):
            _holder(item, out)
            continue
        if not isinstance(item, Property):
            continue
        pname = item.name
        if pname in seen and pname.lower() not in ("imports", "exports"):
            out.append(problem("PM_DUPLICATE_PROPERTY", item.name_range, ("NAME", pname), note="Remove one of them."))
        seen.add(pname)
        if pname in supported:
            _property(item, out)
        elif h.kind is not HolderKind.INSTANCE:
            out.append(
                problem(
                    "PM_PROPERTY_NOT_APPLIABLE",
                    item.name_range,
                    ("NAME", pname),
                    note=f"A {h.kind.value} accepts: {', '.join(supported)}.",
                )
            )
    if h.kind is HolderKind.INSTANCE:
        first = h.first("name")
        if first is None:
            out.append(problem("PM_MISSING_INSTANCE_NAME", h.decl_range, note="Add `name: ...;`."))
        elif not lx.is_flex_id(first.value):
            out.append(
                problem(
                    "PM_INVALID_INSTANCE_NAME",
                    first.value_range,
                    ("NAME", first.value),
                    note=lx.invisible_note(first.value, "name"),
                )
            )


def _item_range(prop: Property, s: int, e: int) -> SourceRange:
    r = prop.value_range
    base = r.start_column - 1
    return SourceRange.line_span(r.file, r.start_line, base + s, base + max(e, s))


def _property(prop: Property, out: list[Problem]) -> None:
    value = prop.value
    if lx.is_blank(value):
        out.append(
            problem("PM_EMPTY_PROPERTY_VALUE", prop.range, ("NAME", prop.name), note="Give a value or remove the line.")
        )
        return
    name = prop.name
    if name == "children":
        for item, s, e in lx.split_nicely(value):
            if not lx.is_id(item):
                where = _item_range(prop, *lx.empty_item_span(value, s)) if item == "" else _item_range(prop, s, e)
                out.append(
                    problem("PM_INVALID_CHILD_NAME", where, ("NAME", item), note=lx.invisible_note(item, "name"))
                )
    elif name in ("facets", "extends"):
        for item, s, e in lx.split_nicely(value):
            if item == "":
                out.append(problem("PM_EMPTY_REFERENCED_NAME", _item_range(prop, *lx.empty_item_span(value, s))))
            elif not lx.is_id(item):
                out.append(
                    problem(
                        "PM_INVALID_NAME", _item_range(prop, s, e), ("NAME", item), note=lx.invisible_note(item, "name")
                    )
                )
    elif name == "imports":
        for _raw, decl in parse_imports(prop):
            if decl.name == "":
                out.append(problem("PM_EMPTY_VARIABLE_NAME", decl.range))
            elif not lx.PATTERN_IMPORT.fullmatch(decl.name):
                out.append(
                    problem(
                        "PM_INVALID_IMPORTED_VAR_NAME",
                        decl.range,
                        ("VARIABLE", decl.name),
                        note=lx.invisible_note(decl.name, "name"),
                    )
                )
            elif "." not in decl.name or decl.name.endswith("."):
                out.append(
                    problem(
                        "PM_INCOMPLETE_IMPORTED_VAR_NAME",
                        decl.range,
                        ("VARIABLE", decl.name),
                        note="Write `Component.variable` or `Component.*`.",
                    )
                )
    elif name == "exports":
        decls, problems = parse_exports(prop)
        out.extend(problems)
        for d in decls:
            if d.name == "":
                out.append(problem("PM_EMPTY_VARIABLE_NAME", d.range))
            elif not lx.is_id(d.name):
                out.append(
                    problem(
                        "PM_INVALID_EXPORTED_VAR_NAME",
                        d.range,
                        ("VARIABLE", d.name),
                        note=lx.invisible_note(d.name, "name"),
                    )
                )
                if d.name.lower().startswith("external "):
                    out.append(problem("PM_EXTERNAL_IS_KEYWORD_FOR_IMPORTS", d.range, ("VARIABLE", d.name)))
    elif name == "installer":
        if not lx.is_flex_id(value):
            out.append(problem("PM_INVALID_INSTALLER_NAME", prop.value_range, ("NAME", value)))
    elif name == "count":
        n = lx.parse_java_int(value)
        if n is None or n < 1:
            out.append(
                problem(
                    "PM_INVALID_INSTANCE_COUNT",
                    prop.value_range,
                    note="Use a whole number ≥ 1 with no space before `;`.",
                )
            )
        elif n == 1:
            out.append(problem("PM_USELESS_INSTANCE_COUNT", prop.range, note="Remove `count: 1;`."))
