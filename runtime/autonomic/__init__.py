"""Autonomic management (runtime.md §6): the rules engine, and the offline simulation of an event stream.

:mod:`.rules` decides which rules fire on each event (Roboconf's ``AutonomicMngrImpl`` timing, plus
``occurrences``); :mod:`.model` is the instance tree the commands change; :mod:`.commands` runs a
commands file against it; :mod:`.simulate` replays an event stream (``rbcc simulate``).

Live (``rbcc deploy --watch``): :mod:`.sampler` is an agent's probe loop; :mod:`.reactor` the
manager's side (events recorded, rules decided by the same engine, commands run); :mod:`.live`
runs commands against the manager, :mod:`.entries` gives created instances their plan entries (from
the compiler), :mod:`.mail` sends ``email``, :mod:`.audit` keeps events, firings, history and
rules' timing in the store, :mod:`.session` attaches it to a session and :mod:`.watch` keeps one
watching manager per deployment.
"""
