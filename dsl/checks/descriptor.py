"""Roboconf's checks of the application descriptor (dsl.md §10): name, version, exports."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from rbcc.dsl.java import INT_MAX, LINE_TERMINATORS
from rbcc.dsl.model.descriptor import (
    DSL_ID,
    EXPORTS,
    EXPORTS_PREFIX,
    GRAPH_EP,
    NAME,
    VERSION,
    VERSION_PATTERN,
    Descriptor,
    template_exports,
)
from rbcc.dsl.problems import Problem, Related, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange


def clean_name_with_accents(name: str) -> str:
    """``Utils.cleanNameWithAccents``: NFD, drop U+0300–U+036F (that block only), Java trim."""
    decomposed = unicodedata.normalize("NFD", name)
    return lx.java_trim("".join(c for c in decomposed if not "\u0300" <= c <= "\u036f"))


def is_valid_version(version: str) -> bool:
    """Roboconf's ``Version.parseVersion(v) != null`` (``^(\\d+)\\.(\\d+)(\\.\\d+)?([.-].+)?$``).

    Java's ``$`` also matches before a final line terminator.  Numbers beyond ``int`` make Java
    throw; they are reported as invalid here.
    """
    candidates = [version]
    for term in LINE_TERMINATORS:
        if version.endswith(term):
            candidates.append(version[: -len(term)])
            break
    for candidate in candidates:
        m = VERSION_PATTERN.fullmatch(candidate)
        if m is not None:
            numbers = [m.group(1), m.group(2), (m.group(3) or ".0")[1:]]
            return all(int(n) <= INT_MAX for n in numbers)
    return False


def validate_descriptor(desc: Descriptor) -> list[Problem]:
    """``RuntimeModelValidator.validate(ApplicationTemplateDescriptor)``, in Roboconf's order."""
    out: list[Problem] = []
    _check_name(desc, out)
    _check_version(desc, out)
    if lx.is_blank(desc.dsl_id):
        out.append(problem("RM_MISSING_APPLICATION_DSL_ID", desc.where(DSL_ID), note="Add `dsl-id = roboconf-1.0`."))
    if lx.is_blank(desc.graph_entry_point):
        out.append(
            problem("RM_MISSING_APPLICATION_GEP", desc.where(GRAPH_EP), note="Add `graph-entry-point = <file>.graph`.")
        )
    if desc.invalid_exports:
        first, *others = desc.invalid_exports
        related = [Related(x.range, f"Invalid export: {x.text}") for x in others]
        out.append(
            problem(
                "PROJ_INVALID_EXTERNAL_EXPORTS",
                first.range,
                ("VALUE", first.text),
                related=related,
                note="Expected `<component>.<variable> as <alias>`, items separated by commas.",
            )
        )
    for export in desc.external_exports.values():
        if not lx.is_id(export.internal):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.internal_range, ("VARIABLE", export.internal)))
        if not lx.is_id(export.alias):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.alias_range, ("VARIABLE", export.alias)))
    if (desc.external_exports or desc.invalid_exports) and lx.is_blank(desc.exports_prefix):
        out.append(
            problem(
                "RM_MISSING_APPLICATION_EXPORT_PREFIX", _prefix_anchor(desc), note="Add `exports-prefix = <Prefix>`."
            )
        )
    return out


def _prefix_anchor(desc: Descriptor) -> SourceRange:
    """Where a missing prefix is reported: its blank key, else the ``exports`` key needing it."""
    return desc.range_of(EXPORTS_PREFIX) or desc.key_range(EXPORTS) or SourceRange.file_start(desc.file)


def _check_name(desc: Descriptor, out: list[Problem]) -> None:
    if lx.is_blank(desc.name):
        out.append(problem("RM_MISSING_APPLICATION_NAME", desc.where(NAME), note="Add `name = <application name>`."))
    elif lx.PATTERN_APP_NAME.fullmatch(clean_name_with_accents(desc.name or "")) is None:
        out.append(
            problem(
                "RM_INVALID_APPLICATION_NAME",
                desc.where(NAME),
                ("EXPECTED", lx.PATTERN_APP_NAME.pattern),
                note="The file is read as ISO-8859-1: write accents as \\uXXXX escapes.",
            )
        )


def _check_version(desc: Descriptor, out: list[Problem]) -> None:
    if lx.is_blank(desc.version):
        out.append(problem("RM_MISSING_APPLICATION_VERSION", desc.where(VERSION), note="Add `version = 1.0.0`."))
    elif not is_valid_version(desc.version or ""):
        out.append(problem("RM_INVALID_APPLICATION_VERSION", desc.where(VERSION), ("UNEXPECTED", desc.version)))


def validate_external_exports(desc: Descriptor, graph_exports: Iterable[str] | Sequence[str]) -> list[Problem]:
    """The export part of ``validate(ApplicationTemplate)`` (§9.5), run on the loaded template.

    ``graph_exports`` are the resolved exported variable names of the whole graph.
    """
    out: list[Problem] = []
    known = set(graph_exports)
    if desc.external_exports:
        if lx.is_blank(desc.exports_prefix):
            out.append(problem("RM_MISSING_APPLICATION_EXPORT_PREFIX", _prefix_anchor(desc)))
        elif not lx.is_id(desc.exports_prefix or ""):
            out.append(problem("RM_INVALID_APPLICATION_EXPORT_PREFIX", desc.where(EXPORTS_PREFIX)))
    seen: set[str] = set()
    for internal, full in template_exports(desc).items():
        export = desc.external_exports[internal]
        if not lx.is_id(internal):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.internal_range, ("VARIABLE", internal)))
        if internal not in known:
            out.append(problem("RM_INVALID_EXTERNAL_EXPORT", export.internal_range, ("VARIABLE", internal)))
        if not lx.is_id(full):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.alias_range, ("VARIABLE", full)))
        if full in seen:
            out.append(problem("RM_ALREADY_DEFINED_EXTERNAL_EXPORT", export.alias_range, ("VARIABLE", full)))
        else:
            seen.add(full)
    return out
