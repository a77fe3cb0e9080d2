"""The probe waves' decision (rbcc.runtime.probe_waves), against a bus that only records probes."""

from __future__ import annotations

import asyncio
from typing import Any

from rbcc.runtime import probe_waves as pw
from rbcc.runtime.bus import Context, InProcessBus, Message


class Recording(InProcessBus):
    def __init__(self) -> None:
        super().__init__()
        self.probes: list[tuple[str, str]] = []

    async def publish(self, ctx: Context, msg: Message) -> None:
        self.probes.append((ctx.topic, msg["wave"]))


class World:
    """A manager's waves over two agents whose counters the test sets."""

    def __init__(self) -> None:
        self.bus = Recording()
        self.members = {"/vm1", "/vm2"}
        self.counter = 0
        self.waves = pw.ProbeWaves("App", self.bus, lambda: set(self.members), lambda: self.counter)
        self.counters: dict[str, tuple[int, int, str]] = {"/vm1": (3, 1, "a"), "/vm2": (5, 2, "b")}

    async def answer_all(self, **overrides: Any) -> None:
        await asyncio.sleep(0)  # the probes go out
        wave = self.waves.wave
        assert wave is not None
        for path in sorted(self.members):
            received, published, life = self.counters[path]
            msg = pw.answer("App", path, overrides.get("wave", wave), True, received, published, life)
            self.waves.on_answer(path, msg)


def go(coro: Any) -> Any:
    return asyncio.run(coro)


def test_quiescent_after_two_waves_with_the_same_counters_and_not_after_one() -> None:
    async def scenario() -> list[bool]:
        w = World()
        seen = [w.waves.settled()]  # starts the first wave
        await w.answer_all()
        seen.append(w.waves.settled())  # one wave answered: a second one goes out
        await w.answer_all()
        seen.append(w.waves.settled())
        seen.append(w.waves.settled())  # the decision holds while nothing changes
        assert len(w.bus.probes) == 4 and {t for t, _ in w.bus.probes} == {"machine.vm1", "machine.vm2"}
        return seen

    assert go(scenario()) == [False, False, True, True]


def test_a_counter_that_moved_between_the_waves_asks_for_another_wave() -> None:
    async def scenario() -> list[bool]:
        w = World()
        seen = [w.waves.settled()]
        await w.answer_all()
        seen.append(w.waves.settled())
        w.counters["/vm2"] = (6, 2, "b")  # /vm2 received a message between the waves
        await w.answer_all()
        seen.append(w.waves.settled())
        await w.answer_all()
        seen.append(w.waves.settled())
        return seen

    assert go(scenario()) == [False, False, False, True]


def test_a_restarted_agent_is_not_taken_for_the_same_even_with_the_same_counters() -> None:
    async def scenario() -> bool:
        w = World()
        w.waves.settled()
        await w.answer_all()
        w.waves.settled()
        w.counters["/vm1"] = (3, 1, "another life")
        await w.answer_all()
        return w.waves.settled()

    assert go(scenario()) is False


def test_the_manager_publishing_to_agents_undoes_a_decision_and_blocks_the_next() -> None:
    async def scenario() -> list[bool]:
        w = World()
        w.waves.settled()
        await w.answer_all()
        w.waves.settled()
        w.counter += 1  # the manager sent something to an agent during the second wave
        await w.answer_all()
        seen = [w.waves.settled()]
        await w.answer_all()  # the third wave began after it, but the second did not: not a pair
        seen.append(w.waves.settled())
        await w.answer_all()
        seen.append(w.waves.settled())
        w.counter += 1
        seen.append(w.waves.settled())
        return seen

    assert go(scenario()) == [False, False, True, False]


def test_answers_to_another_wave_and_members_that_change_do_not_count() -> None:
    async def scenario() -> list[bool]:
        w = World()
        w.waves.settled()
        await w.answer_all(wave="an-old-sessions-wave")
        seen = [w.waves.settled()]  # nothing answered this wave yet
        await w.answer_all()
        w.waves.settled()
        await w.answer_all()
        w.members.discard("/vm2")  # its machine went to PROBLEM: no longer waited for
        seen.append(w.waves.settled())
        await w.answer_all()
        w.waves.settled()
        await w.answer_all()
        seen.append(w.waves.settled())
        return seen

    assert go(scenario()) == [False, False, True]


def test_an_unanswered_wave_is_replaced_after_a_while(monkeypatch) -> None:
    async def scenario() -> tuple[str | None, str | None, int]:
        w = World()
        w.waves.settled()
        first = w.waves.wave
        w.waves.settled()
        assert w.waves.wave == first  # still waiting
        monkeypatch.setattr(pw, "RESEND_AFTER", 0.0)
        w.waves.settled()
        await asyncio.sleep(0)
        return first, w.waves.wave, len(w.bus.probes)

    first, second, probes = go(scenario())
    assert first != second and probes == 4


def test_nothing_to_wait_for_is_quiescent_at_once() -> None:
    w = World()
    w.members.clear()
    assert w.waves.settled() is True and w.bus.probes == []


def test_an_agent_takes_probes_off_its_bus_and_answers_the_latest_once() -> None:
    answers = pw.ProbeAnswers()
    assert answers.control({"type": "AddImport"}) is False
    assert answers.control(pw.probe("App", "t-1")) is True
    assert answers.control(pw.probe("App", "t-2")) is True
    assert answers.due() == "t-2"
    answers.answered("t-2")
    assert answers.due() is None


class Local:
    def __init__(self) -> None:
        self.busy = True

    def idle(self) -> bool:
        return not self.busy


def test_a_local_agent_answers_once_its_probe_came_off_its_queue_and_it_is_idle() -> None:
    async def scenario() -> list[bool]:
        bus = Recording()
        agent, delivered = Local(), {"/local": 4}
        waves = pw.ProbeWaves(
            "App", bus, lambda: {"/local"}, lambda: 0, local=lambda p: agent, delivered=lambda p: delivered[p]
        )
        seen = [waves.settled()]
        await asyncio.sleep(0)
        agent.busy = False
        seen.append(waves.settled())  # idle, but its probe has not come off its queue yet
        assert waves.wave is not None
        waves.local_probe("/local", waves.wave)
        seen.append(waves.settled())  # answered: a second wave
        waves.local_probe("/local", waves.wave)  # type: ignore[arg-type]
        seen.append(waves.settled())
        return seen

    assert go(scenario()) == [False, False, False, True]
