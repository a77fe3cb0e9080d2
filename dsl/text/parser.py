"""Parsing entry point: the textX grammars for well-formed files, the line parser for the rest.

The grammars in ``dsl/grammar/`` define the structure of the two languages.  They are coarse on
purpose (a block body is one token, split into properties afterwards by the shared lexical
helpers): that keeps textX fast enough for thousands of components.  A file the grammar rejects,
or whose lines carry any problem, is handed to the recovering line parser, which reproduces
Roboconf's exact errors.  Both paths build the same blocks for the same text (a property test
checks it).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import cache
from pathlib import Path

from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.line_parser import MAX_NESTING, LineParser, file_kind, parse_lines
from rbcc.dsl.text.syntax import Blank, Comment, Holder, HolderKind, ParsedFile

GRAMMAR_DIR = Path(__file__).parent / "grammar"
_ROOT_RULE = {"graph": "GraphFile", "instances": "InstancesFile"}


@cache
def metamodel(language: str) -> object:
    """The textX metamodel of ``language`` ("graph" or "instances"), built once per process.

    Opaque to everything but ``_terminals`` (textX has no type hints).
    """
    from textx import metamodel_from_file  # imported lazily: start-up time matters for the CLI

    return metamodel_from_file(str(GRAMMAR_DIR / f"{language}.tx"), skipws=False, memoization=False)


def language_of(path: str) -> str | None:
    """The grammar to try first for a file name; Roboconf itself accepts any extension."""
    lower = path.lower()
    if lower.endswith(".graph"):
        return "graph"
    if lower.endswith(".instances"):
        return "instances"
    return None


#: Larger texts go straight to the line parser: textX costs several microseconds per token, and a
#: multi-megabyte file (generated, or not a model at all) would take seconds.  Real model files are
#: a few kilobytes.
FAST_PATH_MAX_CHARS = 1_000_000


def parse_text(path: str, text: str, language: str | None = None) -> ParsedFile:
    """Parse ``text`` (the content of ``path``) into blocks and problems.  Never raises."""
    language = language or language_of(path)
    if (
        language is not None
        and len(text) <= FAST_PATH_MAX_CHARS
        and "\r" not in text
        and "\0" not in text
        and lx.NON_JAVA_SPACE.search(text) is None  # the grammars' `\s` is Unicode's, Roboconf's ASCII
    ):
        fast = _FastBuilder(path, text).build(language)
        if fast is not None:
            return fast
    return parse_lines(path, text)


class _Fallback(Exception):
    """The fast path met something only the line parser reports faithfully."""


class _FastBuilder(LineParser):
    """Builds blocks from the textX parse, reusing the line parser's per-line helpers.

    The grammar covers the text completely, so its terminals (``Open``, ``Body``, ``Close``,
    ``Import``, ``CommentLine``, ``BlankLine``) read in order describe the whole file; we walk
    them directly instead of building textX's object graph, which costs more than the parse.
    """

    def __init__(self, path: str, text: str) -> None:
        super().__init__(path, text)
        self._text = text
        self.line = 1
        self._stack: list[Holder] = []

    def build(self, language: str) -> ParsedFile | None:
        try:
            terminals = _terminals(metamodel(language), self._text)
        except Exception:
            return None
        try:
            for rule, value in terminals:
                self._terminal(rule, value)
        except _Fallback:
            return None
        if self.problems or self._stack:
            return None
        kind = file_kind(self.path, self.blocks, self.problems)
        return ParsedFile(self.path, kind, self.blocks, self.problems, self.n, False)

    def _advance(self, chunk: str) -> int:
        first = self.line
        self.line += chunk.count("\n")
        return first

    def _terminal(self, rule: str, value: str) -> None:
        if rule == "Body":
            self._body_lines(self._stack[-1], value)
        elif rule == "Open":
            if len(self._stack) >= MAX_NESTING:
                raise _Fallback  # the line parser reports it
            holder = self._open(value, top=not self._stack)
            if self._stack:
                self._stack[-1].items.append(holder)
            else:
                self.blocks.append(holder)
            self._stack.append(holder)
        elif rule == "Close":
            self._stack.pop().end_line = self._advance(value)
        elif rule in ("CommentLines", "BlankLines", "Import"):
            first = self._advance(value)
            last = self.line if value.endswith("\n") else self.line + 1
            for lineno in range(first, last):
                self._line(lineno)
        elif rule != "EOF":
            raise _Fallback

    def _line(self, lineno: int) -> None:
        line = self.lines[lineno - 1] if lineno <= self.n else ""
        trimmed = lx.java_trim(line)
        if trimmed == "":
            self.blocks.append(Blank(lineno))
            self._comments.clear()
        elif trimmed.startswith("#"):
            self.blocks.append(Comment(line, self._range(lineno, 0, len(line))))
            self._comments.append(trimmed)
        else:
            self._top_import(line, lineno)

    def _top_import(self, line: str, lineno: int) -> None:
        self._take_doc()
        code_s, code_e = lx.java_trim_span(line, 0, lx.code_end(line))
        m = lx.search_import(line, code_s, code_e)
        if m is None:
            raise _Fallback
        self._import(line, lineno, m, code_e)
        if self.problems:
            raise _Fallback

    def _open(self, text: str, top: bool) -> Holder:
        lineno = self._advance(text)
        line = self.lines[lineno - 1]
        trimmed = lx.java_trim(line)
        code_s, code_e = lx.java_trim_span(line, 0, lx.code_end(line))
        if top and lx.search_import(line, code_s, code_e) is not None:
            raise _Fallback  # Roboconf tests imports first: `instance of XImport {` is an import
        if lx.matches_instance(trimmed):
            kind, start = HolderKind.INSTANCE, lx.strip_keyword(line, "instance")
        elif not top:
            raise _Fallback
        elif lx.matches_facet(trimmed):
            kind, start = HolderKind.FACET, lx.strip_keyword(line, "facet")
        else:
            kind, start = HolderKind.COMPONENT, 0
        brace = line.find("{", start, code_e)
        if brace < 0:
            raise _Fallback
        ns, ne = lx.java_trim_span(line, start, brace)
        doc = self._take_doc() if top else None
        return Holder(kind, line[ns:ne], self._range(lineno, ns, ne), self._range(lineno, code_s, code_e), doc=doc)

    def _body_lines(self, holder: Holder, chunk: str) -> None:
        first = self._advance(chunk)
        for lineno in range(first, first + chunk.count("\n")):
            line = self.lines[lineno - 1]
            trimmed = lx.java_trim(line)
            if trimmed == "":
                holder.items.append(Blank(lineno))
            elif trimmed.startswith("#"):
                holder.items.append(Comment(line, self._range(lineno, 0, len(line))))
            else:
                prop = None if lx.matches_instance(trimmed) else self._property(line, lineno)
                if prop is None or self.problems:
                    raise _Fallback
                holder.items.append(prop)


def _terminals(mm: object, text: str) -> list[tuple[str, str]]:
    """The grammar's terminals for ``text``, in document order (raises when it does not parse)."""
    blueprint = getattr(mm, "_parser_blueprint", None)
    if blueprint is None:  # another textX version: go through the public API
        raise _Fallback
    from arpeggio import Terminal

    tree = blueprint.clone().parse(text)
    out: list[tuple[str, str]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Terminal):
            out.append((node.rule_name, node.value))
        else:
            stack.extend(reversed(node))
    return out


class ParseCache:
    """Parsed files keyed by path and content digest: unchanged files are never parsed twice.

    The language server and warm re-validation share one cache; the bound keeps memory flat.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._entries: OrderedDict[tuple[str, bytes], ParsedFile] = OrderedDict()
        self._capacity = capacity

    def parse(self, path: str, text: str) -> ParsedFile:
        key = (path, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            return hit
        parsed = parse_text(path, text)
        self._entries[key] = parsed
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return parsed
