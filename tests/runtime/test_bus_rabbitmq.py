"""The RabbitMQ bus: names of runtime.md §5.4, settings from user data, and routing through a real broker."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from rbcc.errors import RbccError
from rbcc.runtime.bus import (
    INTER_APP,
    Context,
    agent_context,
    dm_context,
    exporters_context,
    importers_context,
)
from rbcc.runtime.bus_rabbitmq import (
    RabbitConfig,
    RabbitMQBus,
    exchange_name,
    queue_name,
    rabbit_config,
    routing_key,
    user_data,
)
from tests.runtime.broker import Broker
from tests.support import need

# ---------------------------------------------------------------------- names and settings (fast)


def test_exchanges_and_routing_keys_are_those_of_section_5_4() -> None:
    assert exchange_name(dm_context("Shop"), "default") == "default.roboconf.dm"
    assert routing_key(dm_context("Shop")) == "Shop"
    assert exchange_name(agent_context("Shop", "/vm 1"), "default") == "default.Shop.agents"
    assert routing_key(agent_context("Shop", "/vm 1/box")) == "machine.vm 1.box"
    assert routing_key(importers_context("Shop", "db")) == "those.that.import.db"
    assert routing_key(exporters_context("Shop", "db")) == "those.that.export.db"
    assert exchange_name(Context(INTER_APP, None, "those.that.import.Lamp"), "prod") == "prod.roboconf.inter-app"


def test_one_queue_per_owner_named_after_domain_application_and_path() -> None:
    assert queue_name("/vm1 @ Shop", "default") == "default.Shop.vm1"
    assert queue_name("/vm1/inner @ Shop", "prod") == "prod.Shop.vm1.inner"
    assert queue_name("DM @ Shop", "default") == "default.roboconf-dm.Shop"


def test_settings_come_from_roboconf_user_data_keys() -> None:
    cfg = rabbit_config(
        {
            "net.roboconf.messaging.type": "rabbitmq",
            "net.roboconf.messaging.rabbitmq.server.ip": "broker.example:5673",
            "net.roboconf.messaging.rabbitmq.server.username": "roboconf",
            "net.roboconf.messaging.rabbitmq.server.password": "s3cret",
        }
    )
    assert (cfg.host, cfg.port, cfg.username, cfg.password, cfg.virtual_host, cfg.tls) == (
        "broker.example",
        5673,
        "roboconf",
        "s3cret",
        "/",
        None,
    )
    assert rabbit_config({}) == RabbitConfig()  # Roboconf's defaults: localhost, guest/guest
    assert rabbit_config(user_data(cfg)) == cfg


def test_tls_settings_default_to_port_5671_and_survive_a_round_trip(tmp_path: Path) -> None:
    data = {
        "net.roboconf.messaging.rabbitmq.server.ip": "[::1]",
        "net.roboconf.messaging.rabbitmq.ssl.use": "true",
        "net.roboconf.messaging.rabbitmq.ssl.ca.file": str(tmp_path / "ca.pem"),
    }
    cfg = rabbit_config(data)
    assert (cfg.host, cfg.port) == ("::1", 5671)
    assert cfg.tls is not None and cfg.tls.ca_file == tmp_path / "ca.pem" and cfg.tls.check_hostname
    assert rabbit_config(user_data(cfg)) == cfg


@pytest.mark.parametrize(
    "data, says",
    [
        ({"net.roboconf.messaging.type": "http"}, "not RabbitMQ"),
        ({"net.roboconf.messaging.rabbitmq.server.ip": "host:port"}, "host[:port]"),
        (
            {
                "net.roboconf.messaging.rabbitmq.ssl.use": "true",
                "net.roboconf.messaging.rabbitmq.ssl.key.store.path": "/etc/keys.jks",
            },
            "PEM",
        ),
    ],
)
def test_unusable_settings_are_refused_with_a_reason(data: dict[str, str], says: str) -> None:
    with pytest.raises(RbccError, match=says.replace("[", r"\[").replace("]", r"\]")):
        rabbit_config(data)


def test_a_bus_used_before_connecting_says_so() -> None:
    bus = RabbitMQBus(RabbitConfig())
    with pytest.raises(RbccError, match="not connected"):
        asyncio.run(bus.subscribe("/vm1 @ A", agent_context("A", "/vm1")))


# ---------------------------------------------------------------------- against the broker (slow)


def config_of(broker: Broker, password: str | None = None) -> RabbitConfig:
    return RabbitConfig(
        host=broker.host,
        port=broker.port,
        username=broker.username,
        password=password or broker.password,
        virtual_host=broker.vhost,
        reconnect_interval=0.5,
    )


def run(coro: object, timeout: float = 30.0) -> object:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


async def drain(queue: asyncio.Queue, wait: float = 0.3) -> list[dict]:
    await asyncio.sleep(wait)
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


@pytest.mark.slow
def test_subscribers_get_what_is_published_to_their_topic_in_order_and_nothing_else(rabbit_broker: Broker) -> None:
    async def go() -> tuple[list, list, list, dict]:
        async with RabbitMQBus(config_of(rabbit_broker), domain="t1") as bus:
            ctx, other = importers_context("A", "db"), importers_context("A", "web")
            await bus.subscribe("/vm1 @ A", ctx)
            await bus.subscribe("/vm2 @ A", ctx)
            await bus.subscribe("/vm3 @ A", other)
            for i in range(20):
                await bus.publish(ctx, {"type": "AddImport", "n": i})
            got1 = [m["n"] for m in await drain(bus.inbox("/vm1 @ A"))]
            got2 = [m["n"] for m in await drain(bus.inbox("/vm2 @ A"), 0)]
            got3 = await drain(bus.inbox("/vm3 @ A"), 0)
            return got1, got2, got3, dict(bus.counts)

    got1, got2, got3, counts = run(go())
    assert got1 == got2 == list(range(20))
    assert got3 == []
    assert counts == {"AddImport": 20}


@pytest.mark.slow
def test_unsubscribing_unbinds_and_a_sender_receives_its_own_messages(rabbit_broker: Broker) -> None:
    async def go() -> tuple[list, list]:
        async with RabbitMQBus(config_of(rabbit_broker), domain="t2") as bus:
            ctx = exporters_context("A", "db")
            await bus.subscribe("/vm1 @ A", ctx)
            await bus.subscribe("/vm2 @ A", ctx)
            await bus.publish(ctx, {"type": "RequestImport", "n": 1})  # /vm1 sends, and is subscribed
            await bus.unsubscribe("/vm2 @ A", ctx)
            await bus.publish(ctx, {"type": "RequestImport", "n": 2})
            return await drain(bus.inbox("/vm1 @ A")), await drain(bus.inbox("/vm2 @ A"), 0)

    mine, theirs = run(go())
    assert [m["n"] for m in mine] == [1, 2]
    assert [m["n"] for m in theirs] == [1]


@pytest.mark.slow
def test_the_broker_holds_the_section_5_4_exchanges_queues_and_bindings(rabbit_broker: Broker) -> None:
    async def go() -> tuple[str, str, str]:
        async with RabbitMQBus(config_of(rabbit_broker), domain="t3") as bus:
            await bus.subscribe("DM @ Shop", dm_context("Shop"))
            await bus.subscribe("/vm1 @ Shop", agent_context("Shop", "/vm1"))
            await bus.publish(agent_context("Shop", "/vm1"), {"type": "Echo"})
            loop = asyncio.get_running_loop()
            vhost = ("-p", rabbit_broker.vhost)
            exchanges = await loop.run_in_executor(None, rabbit_broker.ctl, "list_exchanges", *vhost, "name", "type")
            queues = await loop.run_in_executor(
                None, rabbit_broker.ctl, "list_queues", *vhost, "name", "durable", "auto_delete"
            )
            bindings = await loop.run_in_executor(
                None, rabbit_broker.ctl, "list_bindings", *vhost, "source_name", "destination_name", "routing_key"
            )
            return exchanges, queues, bindings

    exchanges, queues, bindings = run(go())
    assert "t3.roboconf.dm\ttopic" in exchanges and "t3.Shop.agents\ttopic" in exchanges
    assert "t3.roboconf-dm.Shop\ttrue\ttrue" in queues and "t3.Shop.vm1\ttrue\ttrue" in queues
    assert "t3.roboconf.dm\tt3.roboconf-dm.Shop\tShop" in bindings
    assert "t3.Shop.agents\tt3.Shop.vm1\tmachine.vm1" in bindings


@pytest.mark.slow
def test_messages_are_json_bodies_readable_by_another_client(rabbit_broker: Broker) -> None:
    import aio_pika

    async def go() -> dict:
        async with RabbitMQBus(config_of(rabbit_broker), domain="t4") as bus:
            await bus.subscribe("DM @ A", dm_context("A"))  # declares the exchange
            connection = await aio_pika.connect(rabbit_broker.url())
            async with connection:
                channel = await connection.channel()
                spy = await channel.declare_queue(exclusive=True)
                await spy.bind("t4.roboconf.dm", routing_key="A")
                await bus.publish(dm_context("A"), {"type": "Heartbeat", "scoped_instance_path": "/vm1"})
                incoming = await spy.get(timeout=5, fail=False)
                for _ in range(20):
                    if incoming is not None:
                        break
                    await asyncio.sleep(0.1)
                    incoming = await spy.get(timeout=5, fail=False)
                assert incoming is not None and incoming.content_type == "application/json"
                return json.loads(incoming.body)

    assert run(go()) == {"type": "Heartbeat", "scoped_instance_path": "/vm1"}


@pytest.mark.slow
def test_wrong_credentials_are_refused_clearly_logged_and_receive_nothing(
    rabbit_broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    async def go() -> tuple[str, list]:
        async with RabbitMQBus(config_of(rabbit_broker), domain="t5") as good:
            ctx = agent_context("A", "/vm1")
            await good.subscribe("/vm0 @ A", ctx)
            bad = RabbitMQBus(config_of(rabbit_broker, password="wrong"), domain="t5")
            with pytest.raises(RbccError) as refused:
                await bad.connect()
            with pytest.raises(RbccError):
                await bad.subscribe("/vm1 @ A", ctx)
            await good.publish(ctx, {"type": "SetScopedInstance"})
            return str(refused.value), await drain(bad.inbox("/vm1 @ A"))

    with caplog.at_level(logging.ERROR, logger="rbcc.runtime.bus_rabbitmq"):
        message, received = run(go())
    assert "refused the user name or password" in message
    assert f"user {rabbit_broker.username!r}" in message and f"127.0.0.1:{rabbit_broker.port}" in message
    assert received == []
    assert any("refused" in r.getMessage() and rabbit_broker.username in r.getMessage() for r in caplog.records)


@pytest.mark.slow
def test_an_unreachable_broker_is_a_clear_error(rabbit_broker: Broker) -> None:
    from tests.runtime.broker import free_port

    cfg = RabbitConfig(host="127.0.0.1", port=free_port(), connect_timeout=5)
    with pytest.raises(RbccError, match="connection refused"):
        run(RabbitMQBus(cfg).connect())


@pytest.mark.slow
def test_subscriptions_come_back_after_the_broker_drops_the_connection(rabbit_broker: Broker) -> None:
    async def go() -> list:
        async with RabbitMQBus(config_of(rabbit_broker), domain="t6") as bus:
            ctx = importers_context("A", "db")
            await bus.subscribe("/vm1 @ A", ctx)
            await bus.publish(ctx, {"type": "AddImport", "n": 1})
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, rabbit_broker.ctl, "close_all_connections", "test: reconnect")
            got = []
            for attempt in range(60):  # reconnects every 0.5 s, then declares, binds and consumes again
                try:
                    await asyncio.wait_for(bus.publish(ctx, {"type": "AddImport", "n": 100 + attempt}), 1)
                except Exception:  # the channel is closed until the reconnection
                    await asyncio.sleep(0.2)
                    continue
                got = await drain(bus.inbox("/vm1 @ A"), 0.1)
                if any(m["n"] >= 100 for m in got):
                    break
            return got

    got = run(go(), 40)
    assert any(m["n"] >= 100 for m in got)


def test_an_inbox_is_not_empty_while_a_message_to_it_is_on_the_broker() -> None:
    from rbcc.runtime.bus_rabbitmq import InboxQueue

    async def go() -> tuple[bool, bool, dict, bool]:
        box = InboxQueue()
        box.in_flight = 1  # published, not arrived
        waiting = asyncio.ensure_future(box.get())
        await asyncio.sleep(0)
        still_waiting = not waiting.done()
        busy = not box.empty()
        box.in_flight = 0
        box.put_nowait({"type": "Echo"})
        got = await asyncio.wait_for(waiting, 1)
        return still_waiting, busy, got, box.empty()

    still_waiting, busy, got, empty_after = asyncio.run(go())
    assert still_waiting and busy
    assert got == {"type": "Echo"} and empty_after


@pytest.mark.slow
def test_agents_keep_talking_while_the_manager_is_away(rabbit_broker: Broker) -> None:
    async def go() -> tuple[list, list]:
        cfg = config_of(rabbit_broker)
        async with RabbitMQBus(cfg, domain="t7") as agents_a, RabbitMQBus(cfg, domain="t7") as agents_b:
            manager = await RabbitMQBus(cfg, domain="t7").connect()
            await manager.subscribe("DM @ A", dm_context("A"))
            await agents_b.subscribe("/vm2 @ A", importers_context("A", "db"))
            await manager.close()  # the manager goes away
            await agents_a.publish(dm_context("A"), {"type": "Heartbeat"})  # to nobody now: dropped
            await agents_a.publish(importers_context("A", "db"), {"type": "AddImport", "n": 1})
            between_agents = await drain(agents_b.inbox("/vm2 @ A"))
            back = await RabbitMQBus(cfg, domain="t7").connect()  # the manager comes back
            await back.subscribe("DM @ A", dm_context("A"))
            await agents_a.publish(dm_context("A"), {"type": "Heartbeat", "n": 2})
            to_manager = await drain(back.inbox("DM @ A"))
            await back.close()
            return between_agents, to_manager

    between_agents, to_manager = run(go())
    assert between_agents == [{"type": "AddImport", "n": 1}]
    assert to_manager == [{"type": "Heartbeat", "n": 2}]


@pytest.mark.slow
def test_tls_to_the_broker_with_a_ca_file_from_user_data(rabbit_broker: Broker) -> None:
    need(rabbit_broker.tls_port is not None, "openssl (a dependency of rabbitmq-server) is not installed")
    data = {
        "net.roboconf.messaging.type": "rabbitmq",
        "net.roboconf.messaging.rabbitmq.server.ip": f"127.0.0.1:{rabbit_broker.tls_port}",
        "net.roboconf.messaging.rabbitmq.server.username": rabbit_broker.username,
        "net.roboconf.messaging.rabbitmq.server.password": rabbit_broker.password,
        "net.roboconf.messaging.rabbitmq.server.virtual.host": rabbit_broker.vhost,
        "net.roboconf.messaging.rabbitmq.ssl.use": "true",
        "net.roboconf.messaging.rabbitmq.ssl.ca.file": str(rabbit_broker.ca_file),
    }

    async def go() -> list:
        async with RabbitMQBus(rabbit_config(data), domain="t8") as bus:
            await bus.subscribe("DM @ A", dm_context("A"))
            await bus.publish(dm_context("A"), {"type": "Heartbeat"})
            return await drain(bus.inbox("DM @ A"))

    assert run(go()) == [{"type": "Heartbeat"}]
    untrusted = {k: v for k, v in data.items() if not k.endswith("ca.file")}  # the system CAs do not know it
    with pytest.raises(RbccError, match="RabbitMQ broker amqps://127.0.0.1"):
        run(RabbitMQBus(rabbit_config(untrusted), domain="t8").connect())


@pytest.mark.slow
def test_a_bus_connects_once_and_can_connect_again_after_closing(rabbit_broker: Broker) -> None:
    async def go() -> list:
        bus = RabbitMQBus(config_of(rabbit_broker), domain="t9")
        await bus.start()
        first = bus._connection
        await bus.connect()  # a session given a connected bus starts it again: nothing happens
        assert bus._connection is first
        await bus.close()
        await bus.close()
        await bus.connect()
        await bus.subscribe("DM @ A", dm_context("A"))
        await bus.publish(dm_context("A"), {"type": "Heartbeat"})
        got = await drain(bus.inbox("DM @ A"))
        await bus.close()
        return got

    assert run(go()) == [{"type": "Heartbeat"}]
