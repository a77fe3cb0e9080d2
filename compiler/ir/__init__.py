"""The compiler's intermediate representation (compile.md §0.1): every target is a printer over it.

:mod:`.build` makes it from a loaded application; :mod:`.model` holds its dataclasses; :mod:`.values`
(exports, random ports), :mod:`.names`, :mod:`.recipes` and :mod:`.order` (start-up waits and waves)
each compute one part.
"""
