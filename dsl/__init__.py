"""The Roboconf languages: text → model → checks, and the project loader.

This is the front door: the compiler, the language server, the reports and the command line
import from ``rbcc.dsl``, never from the modules below it, so that the layout inside can change.

Subpackages, lowest first:

* :mod:`rbcc.dsl.text` — lexical rules, the textX grammars and the recovering line parser, the
  syntax tree with source ranges, the formatter;
* :mod:`rbcc.dsl.model` — components, facets, instances, variables, inheritance, the graph and
  instances builders, the descriptor;
* :mod:`rbcc.dsl.checks` — Roboconf's validations of blocks, of the model, of recipes and of the
  descriptor;
* :mod:`rbcc.dsl.commands` and :mod:`rbcc.dsl.rules` — the commands and autonomic-rules languages;
* :mod:`rbcc.dsl.project`, :mod:`rbcc.dsl.validate` — loading a whole project and validating it.

:mod:`rbcc.dsl.java` holds the emulation of Java behaviour Roboconf's verdicts depend on, and
:mod:`rbcc.dsl.catalogue` the table of every problem code.
"""

from __future__ import annotations

from rbcc.dsl.catalogue import CODES, Level
from rbcc.dsl.checks.recipes import resource_dir
from rbcc.dsl.java import read_properties_text
from rbcc.dsl.limits import DEFAULT_MAX_PROBLEMS, Suppressed, limit_per_file
from rbcc.dsl.model import inheritance
from rbcc.dsl.model.container import (
    KEY_CHOICES,
    KEY_DOCS,
    ContainerMetadata,
    Setting,
    TargetFile,
    effective_container,
    key_doc,
    machine_roots,
)
from rbcc.dsl.model.descriptor import Descriptor
from rbcc.dsl.model.elements import Component, Facet, Graph, Instance, Node, walk_instances
from rbcc.dsl.model.graph_builder import graph_from_files, load_graph
from rbcc.dsl.model.variables import ExportDecl, ImportDecl
from rbcc.dsl.problems import Problem, Related, has_errors, problem, sort_key
from rbcc.dsl.project import AS_CHOICES, COMPAT_CHOICES, DESCRIPTOR, Application, is_application_dir, load_application
from rbcc.dsl.text.files import LayoutCache, SourceError, Sources, normalize
from rbcc.dsl.text.formatter import format_text
from rbcc.dsl.text.line_parser import split_lines
from rbcc.dsl.text.parser import ParseCache, parse_text
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import Comment, FileKind, Holder, HolderKind, Import, ParsedFile, Property
from rbcc.dsl.validate import ValidationResult, Validator, enclosing_application, validate_path

__all__ = [
    "read_properties_text",
    "AS_CHOICES",
    "COMPAT_CHOICES",
    "KEY_CHOICES",
    "KEY_DOCS",
    "DEFAULT_MAX_PROBLEMS",
    "Suppressed",
    "limit_per_file",
    "CODES",
    "DESCRIPTOR",
    "Application",
    "Comment",
    "Component",
    "ContainerMetadata",
    "ExportDecl",
    "Facet",
    "FileKind",
    "Graph",
    "Holder",
    "HolderKind",
    "Import",
    "ImportDecl",
    "Instance",
    "LayoutCache",
    "Level",
    "Node",
    "ParseCache",
    "ParsedFile",
    "Problem",
    "Property",
    "Related",
    "Setting",
    "SourceError",
    "SourceRange",
    "TargetFile",
    "Sources",
    "ValidationResult",
    "Validator",
    "Descriptor",
    "effective_container",
    "machine_roots",
    "enclosing_application",
    "format_text",
    "graph_from_files",
    "has_errors",
    "inheritance",
    "is_application_dir",
    "key_doc",
    "load_application",
    "load_graph",
    "normalize",
    "parse_text",
    "problem",
    "resource_dir",
    "sort_key",
    "split_lines",
    "validate_path",
    "walk_instances",
]
