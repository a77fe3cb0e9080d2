"""The recovering line parser: Roboconf's FileDefinitionParser, continued past the first error.

Roboconf reads graph and instances files one line at a time and stops reading a file at the first
"cancelling" syntax error.  This parser classifies every line exactly as Roboconf does (dsl.md §3)
and, where Roboconf would stop, resynchronises at the next block boundary so that every
independent error of a file is reported in one run (docs/deviations.md, "Parser recovery").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

from rbcc.dsl.problems import Problem, Related, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import (
    Blank,
    Block,
    Comment,
    FileKind,
    Holder,
    HolderKind,
    Import,
    Item,
    ParsedFile,
    Property,
    Unknown,
)


class _Status(Enum):
    OK = 0
    CANCEL = 1  # Roboconf would stop reading the file here
    NOT_HOLDER = 2
    RESYNC_TOP = 3  # a new top-level declaration was found inside a block: unwind


def split_lines(text: str) -> list[str]:
    """Lines as Roboconf sees them: split on ``\\n`` only, every ``\\r`` deleted."""
    lines = text.replace("\r", "").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


#: deepest nesting of blocks read (Roboconf's own parser overflows its stack on very deep files)
MAX_NESTING = 100


class LineParser:
    """Parse one file's text into blocks and problems; never raises on any input."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = split_lines(text)
        self.n = len(self.lines)
        self.i = 0
        self.blocks: list[Block] = []
        self.problems: list[Problem] = []
        self.recovered = False
        #: number of top-level blocks Roboconf has when it stops reading at the first cancel
        self.java_end: int | None = None
        self._comments: list[str] = []
        self._depth = 0

    # -- helpers ------------------------------------------------------------------------------

    def _range(self, lineno: int, start: int, end: int) -> SourceRange:
        return SourceRange.line_span(self.path, lineno, start, end)

    def _code_range(self, lineno: int, line: str, start: int = 0) -> SourceRange:
        s, e = lx.java_trim_span(line, start, lx.code_end(line))
        return self._range(lineno, s, max(e, s))

    def _error(
        self,
        code: str,
        where: SourceRange,
        *details: tuple[str, str],
        related: Iterable[Related] = (),
        note: str | None = None,
    ) -> None:
        self.problems.append(problem(code, where, *details, related=related, note=note))

    # -- entry --------------------------------------------------------------------------------

    def parse(self) -> ParsedFile:
        while self.i < self.n:
            self._top_line()
        kind = self._file_kind()
        return ParsedFile(self.path, kind, self.blocks, self.problems, self.n, self.recovered)

    def _top_line(self) -> None:
        lineno = self.i + 1
        line = self.lines[self.i]
        self.i += 1
        trimmed = lx.java_trim(line)
        if trimmed == "":
            self.blocks.append(Blank(lineno))
            self._comments.clear()
            return
        if trimmed.startswith("#"):
            self.blocks.append(Comment(line, self._range(lineno, 0, len(line))))
            self._comments.append(trimmed)
            return
        doc = self._take_doc()
        code_s, code_e = lx.java_trim_span(line, 0, lx.code_end(line))
        m = lx.search_import(line, code_s, code_e)
        if m is not None:
            self._import(line, lineno, m, code_e)
            return
        if lx.is_bare_import(line[code_s:code_e]):
            # Roboconf: an unrecognised block (not a component named `import` without `{`)
            where = self._code_range(lineno, line)
            self.blocks.append(Unknown(line, where))
            self._error("P_UNRECOGNIZED_BLOCK", where, note="Give the file to import: `import other.graph;`.")
            return
        if lx.matches_facet(trimmed):
            start = lx.strip_keyword(line, "facet")
            status, _ = self._holder(HolderKind.FACET, line, lineno, start, doc)
        elif lx.matches_instance(trimmed):
            start = lx.strip_keyword(line, "instance")
            status, _ = self._holder(HolderKind.INSTANCE, line, lineno, start, doc)
        else:
            status, _ = self._holder(HolderKind.COMPONENT, line, lineno, 0, doc)
            if (status is _Status.CANCEL or status is _Status.RESYNC_TOP) and self.java_end is None:
                # Roboconf records an unknown block for a cancelled component (PM_INVALID_BLOCK_TYPE).
                # Only its first one is ever seen (Roboconf stops there); after that, the syntax
                # error alone stands for the mistake: one error per mistake, not two.
                self.blocks.append(Unknown(line, self._code_range(lineno, line)))
        if (status is _Status.CANCEL or status is _Status.RESYNC_TOP) and self.java_end is None:
            self.java_end = len(self.blocks)
        if status is _Status.NOT_HOLDER:
            self.blocks.append(Unknown(line, self._code_range(lineno, line)))
            self._error(
                "P_UNRECOGNIZED_BLOCK",
                self._code_range(lineno, line),
                note="Expected `import`, `facet`, `instance of` or a component name followed by `{`.",
            )

    def _take_doc(self) -> str | None:
        if not self._comments:
            return None
        text = "\n".join(c.lstrip("#").strip() for c in self._comments).strip()
        self._comments.clear()
        return text or None

    def _import(self, line: str, lineno: int, m: re.Match[str], code_e: int) -> None:
        s, e = lx.java_trim_span(line, m.start(1), m.end(1))
        uri = line[s:e]
        stmt = self._range(lineno, m.start(), code_e)
        self.blocks.append(Import(uri, stmt, self._range(lineno, s, e)))
        after = m.end()
        if after >= code_e or line[after] != ";":
            self._error("P_IMPORT_ENDS_WITH_SEMI_COLON", self._range(lineno, e, e), note="Add `;` after the path.")
        elif lx.java_trim(line[after + 1 : code_e]) != "":
            rs, re_ = lx.java_trim_span(line, after + 1, code_e)
            self._error(
                "P_ONE_BLOCK_PER_LINE", self._range(lineno, rs, re_), note="Put each statement on its own line."
            )

    # -- holders ------------------------------------------------------------------------------

    def _holder(
        self, kind: HolderKind, line: str, lineno: int, start: int, doc: str | None
    ) -> tuple[_Status, Holder | None]:
        code_e = lx.code_end(line)
        brace = line.find("{", start, code_e)
        if brace < 0:
            s, e = lx.java_trim_span(line, start, code_e)
            candidate = line[s:e]
            if candidate == "" or lx.is_id(candidate):
                where = self._code_range(lineno, line)
                self._error("P_O_C_BRACKET_MISSING", where, note="Put `{` at the end of the declaration line.")
                self._recover_missing_open()
                return _Status.CANCEL, None
            return _Status.NOT_HOLDER, None
        s, e = lx.java_trim_span(line, brace + 1, code_e)
        if s < e:
            self._error(
                "P_O_C_BRACKET_EXTRA_CHARACTERS",
                self._range(lineno, s, e),
                note=lx.invisible_note(line[s:e])
                or "Nothing may follow `{` on a declaration line; move it to the next line.",
            )
            depth = 1 + line.count("{", s, e) - line.count("}", s, e)
            self._skip_balanced(depth)
            return _Status.CANCEL, None
        ns, ne = lx.java_trim_span(line, start, brace)
        decl = self._code_range(lineno, line)
        holder = Holder(kind, line[ns:ne], self._range(lineno, ns, ne), decl, doc=doc)
        self.blocks.append(holder)
        self._depth += 1
        status = self._body(holder)
        self._depth -= 1
        if status is not _Status.OK:
            holder.cancelled = True
        return status, holder

    def _body(self, holder: Holder) -> _Status:
        """Read the lines of a block until its closing brace."""
        status = _Status.OK
        while True:
            if self.i >= self.n:
                self._unclosed(holder)
                return status
            lineno = self.i + 1
            line = self.lines[self.i]
            self.i += 1
            trimmed = lx.java_trim(line)
            if trimmed == "":
                holder.items.append(Blank(lineno))
                continue
            if trimmed.startswith("#"):
                holder.items.append(Comment(line, self._range(lineno, 0, len(line))))
                continue
            if trimmed.startswith("}"):
                holder.end_line = lineno
                return self._close(line, lineno, status)
            if lx.matches_instance(trimmed):
                if self._depth >= MAX_NESTING:
                    self._too_deep(line, lineno)
                    continue
                start = lx.strip_keyword(line, "instance")
                sub_status, sub = self._holder(HolderKind.INSTANCE, line, lineno, start, None)
                if sub_status is _Status.OK:
                    self.blocks.pop()  # moved from the top-level list into its parent
                    holder.items.append(sub)  # type: ignore[arg-type]
                    continue
                if sub_status is _Status.RESYNC_TOP:
                    return sub_status
                if sub_status is _Status.CANCEL:
                    status = _Status.CANCEL
                    self.recovered = True
                    continue
            prop = self._property(line, lineno)
            if prop is not None:
                holder.items.append(prop)
                continue
            code = "P_INVALID_PROPERTY_OR_INSTANCE" if holder.kind is HolderKind.INSTANCE else "P_INVALID_PROPERTY"
            self.recovered = True
            if self._looks_like_top_declaration(line):
                self._error(
                    code,
                    self._code_range(lineno, line),
                    related=[Related(holder.decl_range, "the enclosing block, which is not closed")],
                    note=f"The block `{holder.name}` above is probably missing its closing `}}`.",
                )
                self.i -= 1
                return _Status.RESYNC_TOP
            invisible = lx.invisible_note(line)
            self._error(code, self._code_range(lineno, line), note=invisible or "Expected `name: value;`.")
            status = _Status.CANCEL
            if invisible is not None and _strip_invisible(trimmed).startswith("}"):
                # `\u2003}`: Roboconf stops here; the user meant a closing brace, so close the
                # block rather than report it unclosed as well
                holder.end_line = lineno
                return status

    def _close(self, line: str, lineno: int, status: _Status) -> _Status:
        after = lx.closing_rest(line)
        code_e = max(lx.code_end(line), after)
        s, e = lx.java_trim_span(line, after, code_e)
        if s < e:
            self._error(
                "P_C_C_BRACKET_EXTRA_CHARACTERS",
                self._range(lineno, s, e),
                note=lx.invisible_note(line[s:e]) or "Nothing may follow `}` on its line.",
            )
            self.recovered = True
            depth = line.count("{", s, e) - line.count("}", s, e)
            self._skip_balanced(depth)
            return _Status.CANCEL
        return status

    def _unclosed(self, holder: Holder) -> None:
        # Roboconf reports these at end of file; the opening line is where the fix goes.
        last = self.lines[-1] if self.lines else ""
        eof = self._range(max(self.n, 1), len(last), len(last))
        self._error(
            "P_C_C_BRACKET_MISSING",
            holder.decl_range,
            related=[Related(eof, "end of file reached here")],
            note=f"Add `}}` to close `{holder.name}`.",
        )

    # -- properties ---------------------------------------------------------------------------

    def _property(self, line: str, lineno: int) -> Property | None:
        code_s, code_e = lx.java_trim_span(line, 0, lx.code_end(line))
        m = lx.search_property(line, code_s, code_e)
        if m is None:
            return None
        name_s, name_e = m.span(1)
        val_s, raw_e = m.span(2)
        raw = line[val_s:raw_e]
        trimmed = line[code_s:code_e]
        stmt = self._range(lineno, code_s, code_e)
        if raw.endswith(";"):
            value = raw[:-1]
            val_e = raw_e - 1
        else:
            value = raw
            val_e = raw_e
            self._error("P_PROPERTY_ENDS_WITH_SEMI_COLON", self._range(lineno, raw_e, raw_e), note="Add `;`.")
        if lx.has_extra_semicolon(value, trimmed):
            semi = line.find(";", val_s, val_e)
            self._error(
                "P_ONE_BLOCK_PER_LINE",
                self._range(lineno, semi if semi >= 0 else val_s, code_e),
                note="Put each property on its own line.",
            )
        comment = line[code_e:] if code_e < len(line) and "#" in line[code_e:] else None
        return Property(
            line[name_s:name_e],
            value,
            self._range(lineno, name_s, name_e),
            self._range(lineno, val_s, val_e),
            stmt,
            comment,
        )

    # -- recovery (rbcc's extension) ---------------------------------------------------------

    @staticmethod
    def _looks_like_top_declaration(line: str) -> bool:
        """An unindented ``X {`` / ``facet X {`` / ``import x;`` line: a new top-level statement."""
        if not line or line[0] <= " ":
            return False
        code = lx.java_trim(line[: lx.code_end(line)])
        if code.lower().startswith("import "):
            return True
        return code.endswith("{") and ":" not in code and not code.startswith("}")

    def _too_deep(self, line: str, lineno: int) -> None:
        """A block nested more than MAX_NESTING levels deep: report it and skip it entirely."""
        self._error(
            "P_IO_ERROR",
            self._code_range(lineno, line),
            ("EXCEPTION", f"more than {MAX_NESTING} nested blocks"),
            note=f"Blocks may be nested {MAX_NESTING} levels deep at most; this one and its content were skipped.",
        )
        self.recovered = True
        depth = 1
        while depth > 0 and self.i < self.n:
            line = self.lines[self.i]
            code = lx.java_trim(line[: lx.code_end(line)])
            self.i += 1
            if code.startswith("}"):
                depth -= 1
            elif code.endswith("{"):
                depth += 1

    def _skip_balanced(self, depth: int) -> None:
        """Skip the rest of a broken construct: until its braces balance or a new declaration."""
        self.recovered = True
        while depth > 0 and self.i < self.n:
            line = self.lines[self.i]
            if self._looks_like_top_declaration(line):
                return
            code = line[: lx.code_end(line)]
            depth += code.count("{") - code.count("}")
            self.i += 1

    def _recover_missing_open(self) -> None:
        """After ``name`` without ``{``: skip the body that most probably follows."""
        self.recovered = True
        j = self.i
        while j < self.n and lx.java_trim(self.lines[j]) == "":
            j += 1
        if j < self.n and lx.java_trim(self.lines[j]).startswith("{"):
            line = self.lines[j]
            code = line[: lx.code_end(line)]
            self.i = j + 1
            self._skip_balanced(code.count("{") - code.count("}"))
            return
        if j < self.n and self._looks_like_top_declaration(self.lines[j]):
            return
        # A body without its opening brace: skip until its closing brace.
        self._skip_balanced(1)

    # -- file type ----------------------------------------------------------------------------

    def _file_kind(self) -> FileKind:
        # The type is Roboconf's: from the blocks read before it stopped at the first cancel (a
        # file whose first block is cancelled is EMPTY or UNDETERMINED for Roboconf).
        blocks = self.blocks if self.java_end is None else self.blocks[: self.java_end]
        return file_kind(self.path, blocks, self.problems)


def _strip_invisible(text: str) -> str:
    i = 0
    while i < len(text) and (text[i] <= " " or lx.is_invisible(text[i])):
        i += 1
    return text[i:]


def file_kind(path: str, blocks: list[Block], problems: list[Problem]) -> FileKind:
    """Roboconf's file type (dsl.md §3.4); appends P_INVALID_FILE_TYPE / P_EMPTY_FILE."""
    has_instance = has_graph = has_import = has_other = False
    for b in blocks:
        if isinstance(b, Holder):
            if b.kind is HolderKind.INSTANCE:
                has_instance = True
            else:
                has_graph = True
        elif isinstance(b, Import):
            has_import = True
        elif isinstance(b, Unknown):
            has_other = True
    first_line = SourceRange.line_span(path, 1, 0, 0)
    if has_instance:
        if has_graph:
            problems.append(
                problem(
                    "P_INVALID_FILE_TYPE",
                    first_line,
                    note="Keep components and facets in .graph files and `instance of` blocks in .instances files.",
                )
            )
            return FileKind.UNDETERMINED
        return FileKind.INSTANCE
    if has_graph:
        return FileKind.GRAPH
    if has_import:
        return FileKind.AGGREGATOR
    if not has_other:
        problems.append(problem("P_EMPTY_FILE", first_line))
        return FileKind.EMPTY
    return FileKind.UNDETERMINED


def parse_lines(path: str, text: str) -> ParsedFile:
    """Parse ``text`` with the recovering line parser."""
    return LineParser(path, text).parse()


__all__ = ["LineParser", "parse_lines", "split_lines", "file_kind", "Item"]
