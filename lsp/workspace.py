"""The language server's view of the workspace: applications, open documents, validation.

An *application* is every folder holding ``descriptor/application.properties``, or a folder with
``graph/`` or ``instances/`` but no descriptor (Roboconf's editor tooling worked that way).
Open documents override the files on disk.  One parse per file (``LatestParses``) is kept for
the whole workspace, so a re-validation only re-parses the files whose text changed; everything
that depends on an edited file (files importing it, instances bound to its graph) is part of
the same application and is re-validated and re-published with it, stale diagnostics included.
Validations run in the validation process (``validation_process``) from a ``Snapshot``.
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.dsl import (
    COMPAT_CHOICES,
    DESCRIPTOR,
    Application,
    Graph,
    LayoutCache,
    ParseCache,
    ParsedFile,
    Problem,
    Sources,
    graph_from_files,
    load_application,
    normalize,
    parse_text,
)

log = logging.getLogger(__name__)

SKIP_DIRS = {"node_modules", "__pycache__", "target", "venv"}
EXTENSIONS = (".graph", ".instances")
#: what ``rbcc validate`` never says about a file the project does not reach (it never reads it)
UNREACHED_SILENT = frozenset({"P_EMPTY_FILE"})
#: how many edits old the lenient graph of completion and hover may be (see ``graph_for``)
GRAPH_LAG = 20


@dataclass
class AppState:
    """One application of the workspace and what was last published for it."""

    root: Path
    app: Application | None = None
    #: project-relative path → the diagnostics fingerprint last published
    published: dict[str, tuple] = field(default_factory=dict)
    #: bumped on every change to a file of the application
    generation: int = 0
    _full_graph: tuple[int, Graph] | None = None
    _files: tuple[tuple, list[str]] | None = None
    #: bumped when files are created, deleted or renamed (watched-file events)
    layout: int = 0
    #: what the loader learnt from the directory layout; cleared with ``layout``
    fs_cache: LayoutCache = field(default_factory=LayoutCache)
    #: open documents edited since the last validation (always re-published)
    touched: set[str] = field(default_factory=set)
    loose: bool = False
    #: the open document edited last (project-relative): the one completion may see a little late
    last_edited: str | None = None
    #: set when a validation was published: the lenient graph is rebuilt at the next request
    refresh_graph: bool = False
    #: the generation whose validation lost its process (retried once)
    died_at: int | None = None

    def rel(self, path: Path) -> str:
        return Path(path).absolute().relative_to(self.root).as_posix()


@dataclass(frozen=True)
class Snapshot:
    """The editor's side of one validation: open texts, layout, generation when it started."""

    generation: int
    layout: int
    #: project-relative path → text of the open documents of the application
    overlays: dict[str, str]
    fs_cache: LayoutCache
    #: ``"roboconf"``: Roboconf's exact staging (the ``compat`` setting), else None
    compat: str | None = None


@dataclass
class Validation:
    """A finished validation: problems by project-relative file, and the model when it loaded."""

    by_file: dict[str, list[Problem]]
    app: Application | None = None


class LatestParses(ParseCache):
    """A parse cache that keeps one parse per file: that of its latest text.

    The loader's LRU cache keeps thousands of entries, so in an editor it would keep a parse of
    every version typed; here a new text of a file replaces the parse of the old one, and
    memory stays flat however long one types.
    """

    def __init__(self) -> None:
        super().__init__(capacity=0)
        self._latest: dict[str, tuple[str, ParsedFile]] = {}

    def parse(self, path: str, text: str) -> ParsedFile:
        hit = self._latest.get(path)
        if hit is not None and hit[0] == text:
            return hit[1]
        parsed = parse_text(path, text)
        self._latest[path] = (text, parsed)
        return parsed


class Workspace:
    """Applications, open documents and the shared parse cache."""

    def __init__(self, cache: ParseCache | None = None) -> None:
        self.cache = cache or LatestParses()
        self.folders: list[Path] = []
        self.apps: dict[Path, AppState] = {}
        self.documents: dict[Path, str] = {}
        #: ``"roboconf"``: Roboconf's exact staging, as ``rbcc validate --compat roboconf``
        self.compat: str | None = None

    def configure(self, options: dict) -> bool:
        """Read the ``compat`` setting (initialization options or configuration): ``"roboconf"``,
        or null / absent for every independent problem.  True when it changed (re-validate)."""
        if "compat" not in options:
            return False
        value = options["compat"]
        compat = value if value in COMPAT_CHOICES else None
        changed, self.compat = compat != self.compat, compat
        return changed

    # ---- discovery -------------------------------------------------------------------------
    def add_folder(self, folder: Path) -> None:
        folder = Path(folder).absolute()
        if folder not in self.folders:
            self.folders.append(folder)
        for root in discover_applications(folder):
            self.apps.setdefault(root, AppState(root))

    def remove_folder(self, folder: Path) -> None:
        folder = Path(folder).absolute()
        if folder in self.folders:
            self.folders.remove(folder)
        for root in [r for r in self.apps if r == folder or folder in r.parents]:
            del self.apps[root]

    def app_for(self, path: Path, create: bool = True) -> AppState | None:
        """The application owning ``path`` (the innermost one), creating it on demand."""
        path = Path(path).absolute()
        best: AppState | None = None
        for root, state in self.apps.items():
            if root == path or root in path.parents:
                if best is None or len(root.parts) > len(best.root.parts):
                    best = state
        if best is not None or not create:
            return best
        root = _guess_root(path)
        state = AppState(root, loose=root == path.parent and path.parent.name not in ("graph", "instances"))
        self.apps[root] = state
        return state

    # ---- documents -------------------------------------------------------------------------
    def set_document(self, path: Path, text: str) -> AppState | None:
        path = Path(path).absolute()
        self.documents[path] = text
        state = self.app_for(path)
        if state is not None:
            self.touch(state, path)
        return state

    def close_document(self, path: Path) -> AppState | None:
        path = Path(path).absolute()
        self.documents.pop(path, None)
        state = self.app_for(path, create=False)
        if state is not None:
            self.touch(state, None)
        return state

    def file_changed(self, path: Path) -> AppState | None:
        """A file changed on disk (``workspace/didChangeWatchedFiles``)."""
        path = Path(path).absolute()
        if path.name == "application.properties" and path.parent.name == "descriptor":
            root = path.parent.parent
            if root not in self.apps and path.is_file():
                self.apps[root] = AppState(root)
        state = self.app_for(path, create=path.suffix.lower() in EXTENSIONS)
        if state is not None:
            state.layout += 1
            state.fs_cache = LayoutCache()  # a new one: a running validation keeps its own
            self.touch(state, None)
        return state

    def touch(self, state: AppState, path: Path | None) -> None:
        """A change to ``path`` (an open document), or to the application as a whole (``None``)."""
        state.generation += 1
        state.last_edited = None
        if path is not None and path in self.documents:
            try:
                state.last_edited = state.rel(path)
                state.touched.add(state.last_edited)
            except ValueError:
                pass

    def text(self, path: Path) -> str | None:
        """The text of ``path``: the open document, else the file on disk."""
        path = Path(path).absolute()
        if path in self.documents:
            return self.documents[path]
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def overlays(self, state: AppState) -> dict[str, str]:
        out = {}
        for path, text in self.documents.items():
            if state.root in path.parents:
                out[state.rel(path)] = text
        return out

    def sources(self, state: AppState) -> Sources:
        return Sources(state.root, overlays=self.overlays(state))

    # ---- validation ------------------------------------------------------------------------
    def snapshot(self, state: AppState) -> Snapshot:
        """What a validation of ``state`` reads from the editor, frozen (taken on the server's loop)."""
        return Snapshot(state.generation, state.layout, self.overlays(state), state.fs_cache, self.compat)

    def is_current(self, state: AppState, snap: Snapshot) -> bool:
        """Whether nothing a validation of ``snap`` read has changed since (texts and layout)."""
        return snap.layout == state.layout and snap.overlays == self.overlays(state)

    def validate(self, state: AppState) -> dict[str, list[Problem]]:
        """Load the application again; problems grouped by project-relative file."""
        snap = self.snapshot(state)
        result = self.run(state.root, state.loose, snap)
        self.apply(state, snap, result)
        return result.by_file

    def run(self, root: Path, loose: bool, snap: Snapshot) -> Validation:
        """Validate from ``snap`` and the disk alone (what the validation process runs)."""
        if loose:
            return Validation(self._validate_loose(snap))
        # Loading allocates many objects and frees few: the cyclic collector would rescan them.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            app = load_application(
                root,
                sources=Sources(root, overlays=snap.overlays),
                cache=self.cache,
                fs_cache=snap.fs_cache,
                compat=snap.compat,
            )
        except Exception:  # the front end never should; keep the server alive if it does
            log.exception("validation of %s failed", root)
            return Validation({})
        finally:
            if gc_was_enabled:
                gc.enable()
        by_file: dict[str, list[Problem]] = {}
        anchor = DESCRIPTOR if (root / DESCRIPTOR).is_file() else (app.graph_entry or DESCRIPTOR)
        for p in app.problems:
            rel = normalize(p.range.file) if p.range is not None else anchor
            if rel in ("", "."):
                rel = anchor
            by_file.setdefault(rel, []).append(p)
        # open files the loader did not reach (not imported yet) still get their syntax problems
        reached = {normalize(f) for f in app.files}
        for rel, text in snap.overlays.items():
            if rel.lower().endswith(EXTENSIONS) and rel not in reached:
                parsed = self.cache.parse(rel, text)
                problems = [p for p in parsed.problems if p.code not in UNREACHED_SILENT]
                if problems:
                    by_file.setdefault(rel, []).extend(problems)
        return Validation(by_file, app)

    def apply(self, state: AppState, snap: Snapshot, result: Validation) -> None:
        """Keep what a finished validation learnt (on the loop): the model, the lenient graph."""
        app = result.app
        if app is None:
            return
        state.app = app
        if app.graph is not None:  # the validated graph doubles as the lenient one when it has every file
            graph_files = {f for f in self.files(state) if f.lower().endswith(".graph")}
            if graph_files <= {normalize(f) for f in app.graph.files}:
                state._full_graph = (snap.generation, app.graph)

    def _validate_loose(self, snap: Snapshot) -> dict[str, list[Problem]]:
        out: dict[str, list[Problem]] = {}
        for rel, text in snap.overlays.items():
            if "/" not in rel and rel.lower().endswith(EXTENSIONS):
                parsed = self.cache.parse(rel, text)
                out[rel] = list(parsed.problems)  # as `rbcc validate FILE` reports a lone file
        return out

    def parse(self, path: Path, state: AppState | None = None) -> ParsedFile | None:
        text = self.text(path)
        if text is None:
            return None
        state = state or self.app_for(path)
        rel = state.rel(path) if state is not None else path.name
        return self.cache.parse(rel, text)

    # ---- lenient whole-application views (completion, navigation) -------------------------
    def files(self, state: AppState) -> list[str]:
        """Every ``.graph`` and ``.instances`` file of the application (relative, sorted)."""
        # Listing the folders costs a walk over every recipe directory: redo it only when the
        # layout changed (watched-file events) or another document was opened.
        key = (state.layout, tuple(sorted(str(p) for p in self.documents if state.root in p.parents)))
        if state._files is not None and state._files[0] == key:
            return state._files[1]
        found: set[str] = set()
        if state.loose:
            found.update(p.name for p in state.root.iterdir() if p.suffix.lower() in EXTENSIONS)
        else:
            for folder in ("graph", "instances"):
                base = state.root / folder
                for dirpath, dirnames, filenames in os.walk(base):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    for name in filenames:
                        if name.lower().endswith(EXTENSIONS) and not name.startswith("."):
                            found.add((Path(dirpath) / name).relative_to(state.root).as_posix())
        for path in self.documents:
            if state.root in path.parents and path.suffix.lower() in EXTENSIONS:
                found.add(state.rel(path))
        result = sorted(found)
        state._files = (key, result)
        return result

    def parsed_files(self, state: AppState, suffix: str | None = None) -> dict[str, ParsedFile]:
        out = {}
        for rel in self.files(state):
            if suffix is not None and not rel.lower().endswith(suffix):
                continue
            parsed = self.parse(state.root / rel, state)
            if parsed is not None:
                out[rel] = parsed
        return out

    def graph_for(self, state: AppState) -> Graph:
        """The whole-application graph for completion and hover, possibly a few keystrokes old:
        rebuilding it costs 10-20 ms at 1,000 components, too much for every keystroke of
        continuous typing.  Only the document being typed in may differ from what the graph was
        built from, and by at most ``GRAPH_LAG`` edits; it is rebuilt as soon as another file
        changed or closed, a validation was published (the user paused), or the typed document
        declares a type that the graph does not have yet."""
        cached = state._full_graph
        if cached is None or state.refresh_graph or state.generation - cached[0] >= GRAPH_LAG:
            return self.full_graph(state)
        graph = cached[1]
        if cached[0] == state.generation:
            return graph
        files = self.parsed_files(state, ".graph")
        used = graph.files
        for rel in files.keys() | used.keys():
            if files.get(rel) is not used.get(rel) and rel != state.last_edited:
                return self.full_graph(state)
        typed = files.get(state.last_edited or "")
        if typed is not None:
            for h in typed.holders:
                if h.name and h.name not in graph.components and h.name not in graph.facets and not h.cancelled:
                    return self.full_graph(state)
        return graph

    def full_graph(self, state: AppState) -> Graph:
        """Every component and facet of every graph file, broken files included."""
        if state._full_graph is not None and state._full_graph[0] == state.generation:
            state.refresh_graph = False
            return state._full_graph[1]
        files = self.parsed_files(state, ".graph")
        graph = graph_from_files(files)
        state._full_graph = (state.generation, graph)
        state.refresh_graph = False
        return graph


def discover_applications(folder: Path) -> list[Path]:
    """Application roots under ``folder`` (the folder itself included)."""
    roots: list[Path] = []
    for dirpath, dirnames, _filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        if (here / DESCRIPTOR).is_file() or (
            not (here / "descriptor").is_dir() and ((here / "graph").is_dir() or (here / "instances").is_dir())
        ):
            roots.append(here)
            dirnames[:] = [d for d in dirnames if d not in ("graph", "instances", "descriptor")]
    return roots


def _guess_root(path: Path) -> Path:
    for parent in path.parents:
        if parent.name in ("graph", "instances"):
            return parent.parent
    return path.parent
