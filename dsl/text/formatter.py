"""The formatter of graph and instances files (``rbcc fmt`` and the language server).

Roboconf's "correct indentation" rules, applied line by line so that nothing but whitespace
ever changes place: one tab per open ``{``, a line starting with ``}`` is dedented, a line
continued with ``\\`` indents what follows until the ``;``.  Besides indentation it strips
trailing whitespace after code, collapses runs of blank lines into one (none at the start or
end of the file), writes ``name: value;`` with one space after the colon, ``Name {`` with one
space before the brace, and ends the file with a newline.  Comments are kept verbatim, to
their last character (trailing spaces included).  A file with syntax
errors is left untouched (``format_text`` returns ``None``), and the result is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable

from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.parser import parse_text
from rbcc.dsl.text.syntax import Block, Comment, Holder, Import, Item, ParsedFile, Property

#: one entry per block, property, comment or import, and "end" after a block's items
_Signature = list[tuple[str, ...] | str]


def format_text(text: str, path: str = "file.graph") -> str | None:
    """The formatted text, or ``None`` when the file has syntax errors."""
    parsed = parse_text(path, text)
    if parsed.has_errors or parsed.recovered:
        return None
    result = _format(text, parsed)
    if _signature(parse_text(path, result)) != _signature(parsed):  # pragma: no cover - safety net
        return text
    return result


def _signature(parsed: ParsedFile) -> _Signature:
    """What formatting must not change: blocks, names, values, imports and comments."""
    out: _Signature = []

    def walk(items: Iterable[Block | Item]) -> None:
        for item in items:
            if isinstance(item, Holder):
                out.append(("holder", item.kind, item.name))
                walk(item.items)
                out.append("end")
            elif isinstance(item, Property):
                out.append(("prop", item.name, item.value, (item.comment or "").strip()))
            elif isinstance(item, Comment):
                out.append(("comment", item.text.strip()))
            elif isinstance(item, Import):
                out.append(("import", item.uri))

    walk(parsed.blocks)
    return out


def _single_line_items(parsed: ParsedFile) -> tuple[dict[int, Property], set[int]]:
    props: dict[int, Property] = {}
    headers: set[int] = set()

    def walk(h: Holder) -> None:
        headers.add(h.decl_range.start_line)
        for item in h.items:
            if isinstance(item, Holder):
                walk(item)
            elif isinstance(item, Property) and item.range.start_line == item.range.end_line:
                props.setdefault(item.range.start_line, item)

    for h in parsed.holders:
        walk(h)
    return props, headers


def _format(text: str, parsed: ParsedFile) -> str:
    props, headers = _single_line_items(parsed)
    out: list[str] = []
    depth = 0
    continued = False
    blank_pending = False
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        content = raw.lstrip(" \t\f\v")
        if not content.rstrip(" \t\f\v"):
            blank_pending = bool(out)
            continue
        end = lx.code_end(content)
        # the code loses its trailing whitespace; a comment is kept verbatim, trailing spaces included
        code, comment = content[:end].rstrip(" \t\f\v"), content[end:]
        if number in props and code and code.count("{") == 0 and code.count("}") == 0:
            code = _property(code, props[number])
        elif number in headers and code.endswith("{") and code.count("{") == 1:
            code = code[:-1].rstrip() + " {"
        indent = depth - 1 if code.startswith("}") else depth
        if continued:
            indent += 1
        if blank_pending and not (code.startswith("}") or (out and out[-1].rstrip().endswith("{"))):
            out.append("")
        blank_pending = False
        joined = code + ((" " if code else "") + comment if comment else "")
        out.append("\t" * max(indent, 0) + joined)
        depth = max(depth + code.count("{") - code.count("}"), 0)
        if code.endswith("\\"):
            continued = True
        elif code.endswith(";") or not code:
            continued = continued and not code.endswith(";")
        else:
            continued = continued and not code.endswith("{")
    return "\n".join(out) + "\n" if out else ""


def _property(code: str, prop: Property) -> str:
    """``name : value ;`` → ``name: value;`` (the value itself is kept as written)."""
    start = code.find(prop.name)
    if start != 0:
        return code
    rest = code[len(prop.name) :].lstrip()
    if not rest.startswith(":"):
        return code
    value = rest[1:].lstrip()
    parsed_value = value[:-1] if value.endswith(";") else value
    if parsed_value != prop.value:  # e.g. a meaningful space before ";": keep it as written
        return code
    return f"{prop.name}: {value}"
