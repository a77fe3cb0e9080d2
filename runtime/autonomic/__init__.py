"""Autonomic management (runtime.md §6): the rules engine, and the offline simulation of an event stream.

:mod:`.rules` decides which rules fire on each event (Roboconf's ``AutonomicMngrImpl`` timing, plus
``occurrences``); :mod:`.model` is the instance tree the commands change; :mod:`.commands` runs a
commands file against it; :mod:`.simulate` replays an event stream (``rbcc simulate``).  The live
executor drives the same engine with the events its probes send.
"""
