"""A small document model for ``rbcc doc`` and its two renderers: HTML and Markdown.

``docsite`` describes every page once as blocks (headings, paragraphs, tables, lists, figures)
whose links name *pages* (``components/Tomcat``) rather than files; each renderer turns the
page keys into relative URLs of its own format (``../components/Tomcat.html`` or ``.md``).  The
HTML is self-contained: one local style sheet, inline SVG, no script, no external asset.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass, field

# ------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """Inline code."""

    text: str


@dataclass(frozen=True)
class Link:
    """A link to ``page`` (a page key, ``None`` = this page) and optional ``anchor``."""

    text: str
    page: str | None
    anchor: str | None = None
    code: bool = False


Inline = str | Code | Link
Inlines = Inline | list


@dataclass
class Heading:
    level: int
    text: Inlines
    anchor: str | None = None


@dataclass
class Para:
    text: Inlines
    cls: str | None = None  # "note", "warning", "lead"


@dataclass
class Facts:
    """A definition list: (term, description) pairs."""

    items: list[tuple[str, Inlines]]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Inlines]]


@dataclass
class Item:
    text: Inlines
    anchor: str | None = None
    children: list[Item] = field(default_factory=list)


@dataclass
class Bullets:
    items: list[Item]


@dataclass
class Pre:
    text: str


@dataclass
class Details:
    summary: Inlines
    blocks: list


@dataclass
class Figure:
    """A diagram: inline SVG in HTML, an image in Markdown; ``svg`` is ``None`` when not rendered."""

    name: str  # file stem, e.g. "diagram-components"
    caption: str
    svg: str | None
    note: str = ""


Block = Heading | Para | Facts | Table | Bullets | Pre | Details | Figure


@dataclass
class Page:
    key: str  # "index", "instances", "components/Tomcat"
    title: str
    blocks: list[Block]


@dataclass
class Site:
    title: str
    pages: list[Page]
    nav: list[tuple[str, str]]  # (label, page key)
    footer: str


# ------------------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------------------


def slugs(names: list[str]) -> dict[str, str]:
    """File-name-safe slugs, unique even on case-insensitive file systems (stable for sorted input)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names):
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "x"
        slug, n = base, 1
        while slug.lower() in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug.lower())
        out[name] = slug
    return out


def _href(current: str, target: str | None, anchor: str | None, ext: str) -> str:
    if target is None or target == current:
        return f"#{anchor}" if anchor else "#"
    rel = posixpath.relpath(target + ext, posixpath.dirname(current) or ".")
    return rel + (f"#{anchor}" if anchor else "")


def root_prefix(page_key: str) -> str:
    """``"../"`` per directory level of a page (``components/X`` → ``"../"``)."""
    return "../" * page_key.count("/")


# ------------------------------------------------------------------------------------------
# HTML
# ------------------------------------------------------------------------------------------

_esc = html.escape


class HtmlRenderer:
    ext = ".html"

    def __init__(self, site: Site, generator: str) -> None:
        self.site = site
        self.generator = generator

    def inline(self, x: Inlines, page: str) -> str:
        if isinstance(x, list):
            return "".join(self.inline(i, page) for i in x)
        if isinstance(x, Code):
            return f"<code>{_esc(x.text)}</code>"
        if isinstance(x, Link):
            text = f"<code>{_esc(x.text)}</code>" if x.code else _esc(x.text)
            return f'<a href="{_esc(_href(page, x.page, x.anchor, self.ext))}">{text}</a>'
        return _esc(str(x))

    def block(self, b: Block, page: str) -> str:
        r = self.inline
        if isinstance(b, Heading):
            ident = f' id="{_esc(b.anchor)}"' if b.anchor else ""
            return f"<h{b.level}{ident}>{r(b.text, page)}</h{b.level}>"
        if isinstance(b, Para):
            cls = f' class="{b.cls}"' if b.cls else ""
            return f"<p{cls}>{r(b.text, page)}</p>"
        if isinstance(b, Facts):
            rows = "".join(f"<dt>{_esc(t)}</dt><dd>{r(d, page)}</dd>" for t, d in b.items)
            return f'<dl class="facts">{rows}</dl>'
        if isinstance(b, Table):
            head = "".join(f"<th>{_esc(h)}</th>" for h in b.headers)
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td data-label="{_esc(h)}"><span>{r(c, page)}</span></td>'
                    for h, c in zip(b.headers, row, strict=False)
                )
                + "</tr>"
                for row in b.rows
            )
            return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        if isinstance(b, Bullets):
            return self._list(b.items, page)
        if isinstance(b, Pre):
            return f"<pre><code>{_esc(b.text)}</code></pre>"
        if isinstance(b, Details):
            inner = "".join(self.block(x, page) for x in b.blocks)
            return f"<details><summary>{r(b.summary, page)}</summary>{inner}</details>"
        if isinstance(b, Figure):
            return self._figure(b, page)
        raise TypeError(f"unknown block {b!r}")

    def _list(self, items: list[Item], page: str) -> str:
        out = []
        for it in items:
            ident = f' id="{_esc(it.anchor)}"' if it.anchor else ""
            sub = self._list(it.children, page) if it.children else ""
            out.append(f"<li{ident}>{self.inline(it.text, page)}{sub}</li>")
        return "<ul>" + "".join(out) + "</ul>"

    def _figure(self, f: Figure, page: str) -> str:
        prefix = root_prefix(page)
        links = f'<a href="{prefix}{f.name}.dot">DOT source</a>'
        if f.svg is None:
            note = f'<p class="warning">{_esc(f.note)}</p>' if f.note else ""
            return f'<figure class="diagram" id="{f.name}">{note}<figcaption>{_esc(f.caption)} — {links}</figcaption></figure>'
        links = f'<a href="{prefix}{f.name}.svg">full size</a> · ' + links
        return (
            f'<figure class="diagram" id="{f.name}"><div class="scroll">{f.svg}</div>'
            f"<figcaption>{_esc(f.caption)} — {links}</figcaption></figure>"
        )

    def page(self, p: Page) -> str:
        prefix = root_prefix(p.key)
        current = ' aria-current="page"'
        nav = " ".join(
            f'<a href="{_esc(_href(p.key, key, None, self.ext))}"{current if key == p.key else ""}>{_esc(label)}</a>'
            for label, key in self.site.nav
        )
        body = "\n".join(self.block(b, p.key) for b in p.blocks)
        title = p.title if p.key == "index" else f"{p.title} — {self.site.title}"
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="{_esc(self.generator)}">\n'
            f"<title>{_esc(title)}</title>\n"
            f'<link rel="stylesheet" href="{prefix}style.css">\n'
            "</head>\n<body>\n"
            f"<header><nav>{nav}</nav></header>\n<main>\n{body}\n</main>\n"
            f"<footer>{_esc(self.site.footer)}</footer>\n</body>\n</html>\n"
        )


# ------------------------------------------------------------------------------------------
# Markdown (GitHub flavoured)
# ------------------------------------------------------------------------------------------


def _md_escape(s: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", s)


def _md_code(s: str) -> str:
    ticks = "``" if "`" in s else "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


class MarkdownRenderer:
    ext = ".md"

    def __init__(self, site: Site, generator: str) -> None:
        self.site = site
        self.generator = generator

    def inline(self, x: Inlines, page: str) -> str:
        if isinstance(x, list):
            return "".join(self.inline(i, page) for i in x)
        if isinstance(x, Code):
            return _md_code(x.text)
        if isinstance(x, Link):
            text = _md_code(x.text) if x.code else _md_escape(x.text)
            return f"[{text}]({_href(page, x.page, x.anchor, self.ext).replace(' ', '%20')})"
        return _md_escape(str(x))

    def block(self, b: Block, page: str, depth: int = 0) -> str:
        r = self.inline
        if isinstance(b, Heading):
            anchor = f'<a id="{b.anchor}"></a>\n' if b.anchor else ""
            return f"{anchor}{'#' * b.level} {r(b.text, page)}"
        if isinstance(b, Para):
            text = r(b.text, page)
            return f"> {text}" if b.cls in ("note", "warning") else text
        if isinstance(b, Facts):
            return "\n".join(f"- **{_md_escape(t)}:** {r(d, page)}" for t, d in b.items)
        if isinstance(b, Table):
            head = "| " + " | ".join(_md_escape(h) for h in b.headers) + " |"
            sep = "|" + "|".join("---" for _ in b.headers) + "|"
            rows = ["| " + " | ".join(r(c, page).replace("\n", " ") or " " for c in row) + " |" for row in b.rows]
            return "\n".join([head, sep, *rows])
        if isinstance(b, Bullets):
            return self._list(b.items, page, 0)
        if isinstance(b, Pre):
            fence = "````" if "```" in b.text else "```"
            return f"{fence}\n{b.text.rstrip()}\n{fence}"
        if isinstance(b, Details):
            inner = "\n\n".join(self.block(x, page) for x in b.blocks)
            return f"<details><summary>{html.escape(_plain(b.summary))}</summary>\n\n{inner}\n\n</details>"
        if isinstance(b, Figure):
            if b.svg is None:
                return f"> {_md_escape(b.note)}\n\n[{_md_escape(b.caption)} (DOT)]({root_prefix(page)}{b.name}.dot)"
            return f"![{_md_escape(b.caption)}]({root_prefix(page)}{b.name}.svg)\n\n[DOT source]({root_prefix(page)}{b.name}.dot)"
        raise TypeError(f"unknown block {b!r}")

    def _list(self, items: list[Item], page: str, level: int) -> str:
        out = []
        for it in items:
            anchor = f'<a id="{it.anchor}"></a>' if it.anchor else ""
            out.append("  " * level + f"- {anchor}{self.inline(it.text, page)}")
            if it.children:
                out.append(self._list(it.children, page, level + 1))
        return "\n".join(out)

    def page(self, p: Page) -> str:
        nav = " · ".join(f"[{_md_escape(label)}]({_href(p.key, key, None, self.ext)})" for label, key in self.site.nav)
        body = "\n\n".join(self.block(b, p.key) for b in p.blocks)
        return f"{nav}\n\n{body}\n\n---\n\n{_md_escape(self.site.footer)}\n"


def _plain(x: Inlines) -> str:
    if isinstance(x, list):
        return "".join(_plain(i) for i in x)
    if isinstance(x, (Code, Link)):
        return x.text
    return str(x)


RENDERERS: dict[str, type[HtmlRenderer] | type[MarkdownRenderer]] = {"html": HtmlRenderer, "markdown": MarkdownRenderer}
