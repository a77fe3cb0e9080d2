"""The application a commands file is checked against, as a small protocol (and plain versions of it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Protocol


class ComponentInfo(Protocol):
    """What the commands need to know about one component."""

    #: names of the types (components, or facets) that list this component as a child *directly*
    #: (Roboconf's ``Component.getAncestors()``, no inheritance)
    @property
    def direct_ancestors(self) -> Sequence[str]: ...

    #: the installer the component *declares* (``Component.getInstallerName()``): Roboconf's
    #: ``associate`` check ignores installers inherited through ``extends``
    @property
    def installer(self) -> str | None: ...


class CommandsContext(Protocol):
    """The application a commands file is validated against."""

    @property
    def components(self) -> Mapping[str, ComponentInfo]: ...

    #: every instance path (``/vm/server``) → its component name
    @property
    def instances(self) -> Mapping[str, str]: ...

    #: names of the application's commands files, without the ``.commands`` extension
    @property
    def command_names(self) -> AbstractSet[str]: ...

    def read_command(self, name: str) -> str | None:
        """The text of ``commands/<name>.commands``, or ``None`` if it cannot be read."""
        ...


@dataclass(frozen=True, slots=True)
class SimpleComponent:
    """A plain :class:`ComponentInfo` (tests, tools without a full model)."""

    direct_ancestors: tuple[str, ...] = ()
    installer: str | None = None


@dataclass(slots=True)
class SimpleContext:
    """A plain :class:`CommandsContext` backed by dictionaries."""

    components: dict[str, SimpleComponent] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)
    command_names: set[str] = field(default_factory=set)
    command_texts: dict[str, str] = field(default_factory=dict)

    def read_command(self, name: str) -> str | None:
        return self.command_texts.get(name)
