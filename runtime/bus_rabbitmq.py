"""The RabbitMQ bus (runtime.md §5.4): Roboconf's production messaging, through a real broker.

Plugging it in::

    config = rabbit_config(user_data)            # or RabbitConfig(host=…, username=…, password=…)
    async with RabbitMQBus(config, domain="default") as bus:   # connect() (or start()) … close()
        async with Session(app, state_dir, settings, bus=bus) as session: …

:meth:`RabbitMQBus.connect` raises :class:`rbcc.errors.RbccError` naming the broker and the user
when the broker cannot be reached or refuses the credentials (and logs it); nothing is received
then.  Once connected, the connection is *robust* (aio-pika's ``connect_robust``): when the broker
or the network goes away it reconnects every ``reconnect_interval`` seconds and declares again the
exchanges, queues, bindings and consumers, so an agent keeps working while the manager (or the
broker) is away; what was published meanwhile to nobody is lost (delivery is at most once, only
the manager's outbox is durable, §5.4).

Names, exactly §5.4 (``d`` the domain, ``A`` the application):

- topic exchanges ``d.roboconf.dm`` (to the manager), ``d.A.agents`` (to agents),
  ``d.roboconf.inter-app`` (between applications); the routing key is the context's topic
  (``machine.vm1``, ``those.that.import.db``, the application name for the manager);
- one queue per owner, durable and auto-delete: ``d.A.<scoped path without its leading "/",
  "/" → ".">`` for an agent (owner ``"<path> @ A"``), ``d.roboconf-dm.A`` for the manager of A
  (owner ``"DM @ A"``: Roboconf's single DM had one queue ``d.roboconf-dm`` for all applications;
  rbcc runs one manager per application, and two managers sharing one queue would take each
  other's messages, docs/deviations.md);
- the domain is the bus's (``RabbitMQBus(config, domain)``), whatever the contexts say;
- subscribe = bind the owner's queue to the context's exchange with its topic, unsubscribe = unbind.

Messages are the bus's JSON dicts (:mod:`rbcc.runtime.bus`) as UTF-8 JSON bodies, published in
order on one channel (FIFO per sender).  An agent in another process opens its bus with
``confirms=True`` (publisher confirms: ``publish`` returns once the broker holds the message in
every queue it routes to) and a ``control`` hook that takes the manager's ``Probe`` messages; the
bus counts the messages it delivered (``deliveries``) and published to agents (``published``):
what :mod:`rbcc.runtime.probe_waves` compares.  ``agent_user_data()`` gives the keys an agent
needs to reach the same broker.  A sender subscribed to a context receives its own
messages, as with every bus.  When a publication has subscribers in this same process (manager and
local agents on one bus), it counts as *in flight* to them until it reaches their inboxes: an
inbox is not ``empty()`` meanwhile, so that "nothing queued" still means "nothing moving", as
with :class:`~rbcc.runtime.bus.InProcessBus` (a message lost with a dropped connection stops
counting after ``LOCAL_DELIVERY_WAIT`` seconds).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import ssl
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from rbcc.errors import RbccError
from rbcc.runtime.bus import AGENTS, DM, INTER_APP, Bus, Context, Message

log = logging.getLogger(__name__)

#: Roboconf's user-data keys (``net.roboconf.messaging.type = rabbitmq``)
MESSAGING_TYPE = "net.roboconf.messaging.type"
PREFIX = "net.roboconf.messaging.rabbitmq"
KEY_IP = PREFIX + ".server.ip"
KEY_USERNAME = PREFIX + ".server.username"
KEY_PASSWORD = PREFIX + ".server.password"
KEY_SSL = PREFIX + ".ssl.use"
#: rbcc's additions: the virtual host, PEM files instead of Java key stores, host-name checking
KEY_VHOST = PREFIX + ".server.virtual.host"
KEY_SSL_CA = PREFIX + ".ssl.ca.file"
KEY_SSL_CERT = PREFIX + ".ssl.cert.file"
KEY_SSL_KEY = PREFIX + ".ssl.key.file"
KEY_SSL_VERIFY = PREFIX + ".ssl.verify.hostname"
#: Roboconf's Java key-store keys, which rbcc cannot read (docs/deviations.md)
JAVA_STORE_KEYS = (PREFIX + ".ssl.key.store.path", PREFIX + ".ssl.trust.store.path")

#: seconds a message counts as in flight to this process's own subscribers, at most
LOCAL_DELIVERY_WAIT = 10.0
#: AMQP names and routing keys are short strings
MAX_NAME = 255


@dataclass(frozen=True)
class RabbitTLS:
    """TLS towards the broker: a CA bundle to trust (default: the system's), a client certificate."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    check_hostname: bool = True

    def context(self) -> ssl.SSLContext:
        try:
            ctx = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
            ctx.check_hostname = self.check_hostname
            if self.cert_file is not None:
                ctx.load_cert_chain(str(self.cert_file), str(self.key_file) if self.key_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise RbccError(f"RabbitMQ TLS settings: {exc}") from exc
        return ctx


@dataclass(frozen=True)
class RabbitConfig:
    """Where the broker is and who we are to it (Roboconf's defaults: localhost, guest/guest)."""

    host: str = "localhost"
    port: int = 5672
    username: str = "guest"
    password: str = field(default="guest", repr=False)
    virtual_host: str = "/"
    tls: RabbitTLS | None = None
    #: seconds between reconnection attempts once connected [Roboconf: 10]
    reconnect_interval: float = 5.0
    #: seconds the first connection may take [Roboconf: 5]
    connect_timeout: float = 10.0

    def describe(self) -> str:
        scheme = "amqps" if self.tls else "amqp"
        return f"{scheme}://{self.host}:{self.port} (virtual host {self.virtual_host!r})"


def _split_host(value: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` (Roboconf's ``Utils.findUrlAndPort``)."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.lstrip(":")
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    else:
        host, port = value, ""
    if not port:
        return host or "localhost", default_port
    try:
        number = int(port)
    except ValueError:
        raise RbccError(f"{KEY_IP}: {value!r} is not host[:port]") from None
    if not 0 < number < 65536:
        raise RbccError(f"{KEY_IP}: port {number} out of range")
    return host or "localhost", number


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"  # Java's Boolean.parseBoolean


def rabbit_config(user_data: Mapping[str, str]) -> RabbitConfig:
    """The broker settings from an agent's user data or the manager's messaging properties (§2.3).

    Keys: ``net.roboconf.messaging.rabbitmq.server.ip`` (``host[:port]``, default localhost),
    ``….server.username`` / ``….server.password`` (default guest/guest), ``….ssl.use``; rbcc adds
    ``….server.virtual.host`` (default ``/``), ``….ssl.ca.file``, ``….ssl.cert.file``,
    ``….ssl.key.file`` (PEM) and ``….ssl.verify.hostname`` (default true).
    """
    kind = user_data.get(MESSAGING_TYPE, "rabbitmq").strip()
    if kind != "rabbitmq":
        raise RbccError(f"{MESSAGING_TYPE} is {kind!r}: these are not RabbitMQ settings")
    use_tls = _flag(user_data.get(KEY_SSL))
    if use_tls and any(user_data.get(k) for k in JAVA_STORE_KEYS) and not user_data.get(KEY_SSL_CA):
        raise RbccError(
            "RabbitMQ TLS: Java key stores (…ssl.key.store.path, …ssl.trust.store.path) cannot be read by rbcc; "
            f"give PEM files with {KEY_SSL_CA}, {KEY_SSL_CERT} and {KEY_SSL_KEY}"
        )
    host, port = _split_host(user_data.get(KEY_IP, "localhost"), 5671 if use_tls else 5672)
    tls = None
    if use_tls:

        def path(key: str) -> Path | None:
            value = user_data.get(key, "").strip()
            return Path(value) if value else None

        verify = user_data.get(KEY_SSL_VERIFY)
        tls = RabbitTLS(path(KEY_SSL_CA), path(KEY_SSL_CERT), path(KEY_SSL_KEY), verify is None or _flag(verify))
    return RabbitConfig(
        host=host,
        port=port,
        username=user_data.get(KEY_USERNAME, "guest"),
        password=user_data.get(KEY_PASSWORD, "guest"),
        virtual_host=user_data.get(KEY_VHOST, "/") or "/",
        tls=tls,
    )


def user_data(config: RabbitConfig) -> dict[str, str]:
    """The user-data keys an agent needs to reach the same broker (the inverse of :func:`rabbit_config`)."""
    host = f"[{config.host}]" if ":" in config.host else config.host
    data = {
        MESSAGING_TYPE: "rabbitmq",
        KEY_IP: f"{host}:{config.port}",
        KEY_USERNAME: config.username,
        KEY_PASSWORD: config.password,
        KEY_VHOST: config.virtual_host,
    }
    if config.tls is not None:
        data[KEY_SSL] = "true"
        data[KEY_SSL_VERIFY] = "true" if config.tls.check_hostname else "false"
        for key, value in (
            (KEY_SSL_CA, config.tls.ca_file),
            (KEY_SSL_CERT, config.tls.cert_file),
            (KEY_SSL_KEY, config.tls.key_file),
        ):
            if value is not None:
                data[key] = str(value)
    return data


# ---------------------------------------------------------------------- names (§5.4)
def exchange_name(ctx: Context, domain: str) -> str:
    """The context's exchange in ``domain`` (the bus's: a setting of the messaging client, as in Roboconf)."""
    if ctx.kind == DM:
        return f"{domain}.roboconf.dm"
    if ctx.kind == INTER_APP:
        return f"{domain}.roboconf.inter-app"
    if ctx.kind == AGENTS:
        return f"{domain}.{ctx.application}.agents"
    raise ValueError(f"unknown context kind {ctx.kind!r}")


def routing_key(ctx: Context) -> str:
    return ctx.topic


def queue_name(owner: str, domain: str) -> str:
    """The owner's queue: ``d.A.<path, "/" → ".">`` for ``"<path> @ A"``, ``d.roboconf-dm.A`` for ``"DM @ A"``."""
    who, sep, app = owner.partition(" @ ")
    if not sep:
        return f"{domain}.{owner}"
    if who == "DM":
        return f"{domain}.roboconf-dm.{app}"
    return f"{domain}.{app}.{who.strip('/').replace('/', '.')}"


def _short(kind: str, name: str) -> str:
    if len(name.encode("utf-8")) > MAX_NAME:
        raise RbccError(f"RabbitMQ {kind} {name[:60]!r}… is longer than {MAX_NAME} bytes (a shorter path or name)")
    return name


class InboxQueue(asyncio.Queue[Message]):
    """An owner's inbox: not ``empty()`` while messages published to it are still on the broker."""

    def __init__(self) -> None:
        super().__init__()
        #: messages published to this owner from this process and not arrived yet
        self.in_flight = 0
        self._arrived = asyncio.Event()

    def empty(self) -> bool:
        return self.qsize() == 0 and self.in_flight == 0

    def put_nowait(self, item: Message) -> None:
        super().put_nowait(item)
        self._arrived.set()

    def get_nowait(self) -> Message:
        if self.qsize() == 0:
            raise asyncio.QueueEmpty
        return super().get_nowait()

    async def get(self) -> Message:
        while self.qsize() == 0:
            self._arrived.clear()
            await self._arrived.wait()
        return self.get_nowait()


class _Inbox:
    """One owner: its inbox, its queue on the broker once it subscribed, its bindings."""

    def __init__(self) -> None:
        self.queue = InboxQueue()
        self.amqp: Any = None
        self.consumer: str | None = None
        self.bound: set[Context] = set()


class RabbitMQBus(Bus):
    """The :class:`~rbcc.runtime.bus.Bus` over a RabbitMQ broker; ``connect()`` before use, ``close()`` after."""

    def __init__(
        self,
        config: RabbitConfig,
        domain: str = "default",
        confirms: bool = False,
        control: Callable[[Message], bool] | None = None,
    ) -> None:
        self.config = config
        self.domain = domain
        #: publisher confirms: ``publish`` returns once the broker has put the message in every queue
        #: it routes to (what an out-of-process agent needs, :mod:`rbcc.runtime.probe_waves`)
        self.confirms = confirms
        #: sees every message taken off the broker first; True = handled, not put in an inbox (``Probe``)
        self.control = control
        #: the same with the owner whose queue it came from (the manager's probes to its local agents)
        self.owner_control: Callable[[str, Message], bool] | None = None
        #: messages delivered into each owner's inbox
        self.delivered_to: Counter[str] = Counter()
        self.counts = Counter()
        #: messages taken off the broker into an inbox
        self.deliveries = 0
        #: publications to agents or other applications (not to a manager) done (confirmed, with
        #: ``confirms``), ``Probe`` excepted: the counter the probe waves compare
        self.published = 0
        self._connection: Any = None
        self._channel: Any = None
        self._exchanges: dict[str, Any] = {}
        self._owners: dict[str, _Inbox] = {}
        self._send = asyncio.Lock()
        self._tag = secrets.token_hex(6)
        self._seq = itertools.count(1)
        #: message id → (its context, the local owners it has not reached yet)
        self._waiting: dict[str, tuple[Context, set[str]]] = {}

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        """Connect unless connected (what a session calls on the bus it is given)."""
        await self.connect()

    async def connect(self) -> RabbitMQBus:
        """Open the robust connection and its channel; again on a connected bus: nothing."""
        import aio_pika
        from aio_pika.exceptions import AMQPConnectionError

        if self._connection is not None:
            return self
        cfg = self.config
        who = f"RabbitMQ broker {cfg.describe()}, user {cfg.username!r}"
        try:
            self._connection = await asyncio.wait_for(
                aio_pika.connect_robust(
                    host=cfg.host,
                    port=cfg.port,
                    login=cfg.username,
                    password=cfg.password,
                    virtualhost=cfg.virtual_host,
                    ssl=cfg.tls is not None,
                    ssl_context=cfg.tls.context() if cfg.tls is not None else None,
                    reconnect_interval=cfg.reconnect_interval,
                    client_properties={"connection_name": f"rbcc {self.domain}"},
                ),
                cfg.connect_timeout,
            )
            self._channel = await self._connection.channel(publisher_confirms=self.confirms)
        except RbccError:
            raise
        except (TimeoutError, AMQPConnectionError, OSError, ssl.SSLError) as exc:
            reason = _reason(exc)
            log.error("%s: %s", who, reason)
            raise RbccError(f"{who}: {reason}") from None
        log.info("connected to %s as %r", cfg.describe(), cfg.username)
        return self

    async def close(self) -> None:
        for message_id in list(self._waiting):
            self._expire(message_id, quiet=True)
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.close()
            except Exception as exc:  # closing a dead connection: nothing left to do
                log.debug("closing the RabbitMQ connection: %s", exc)
        self._channel = None
        self._exchanges.clear()
        for box in self._owners.values():  # a later connect() declares and binds again on subscribe
            box.amqp, box.consumer, box.bound = None, None, set()

    async def __aenter__(self) -> RabbitMQBus:
        return await self.connect()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _need_channel(self) -> Any:
        if self._channel is None:
            raise RbccError(f"RabbitMQ bus not connected to {self.config.describe()} (connect() first)")
        return self._channel

    async def _exchange(self, name: str) -> Any:
        exchange = self._exchanges.get(name)
        if exchange is None:
            import aio_pika

            exchange = await self._need_channel().declare_exchange(
                _short("exchange", name), aio_pika.ExchangeType.TOPIC
            )
            self._exchanges[name] = exchange
        return exchange

    # ------------------------------------------------------------------ Bus
    async def publish(self, ctx: Context, msg: Message) -> None:
        import aio_pika

        self.counts[msg.get("type", "?")] += 1
        key = _short("routing key", routing_key(ctx))
        message_id = f"{self._tag}-{next(self._seq)}"
        body = json.dumps(msg, separators=(",", ":")).encode("utf-8")
        local = {o for o, box in self._owners.items() if ctx in box.bound}
        if local:
            self._waiting[message_id] = (ctx, local)
            for owner in local:
                self._owners[owner].queue.in_flight += 1
            asyncio.get_running_loop().call_later(LOCAL_DELIVERY_WAIT, self._expire, message_id)
        try:
            async with self._send:  # one publication at a time on the channel: FIFO per sender
                exchange = await self._exchange(exchange_name(ctx, self.domain))
                await exchange.publish(
                    aio_pika.Message(body, content_type="application/json", message_id=message_id),
                    routing_key=key,
                    mandatory=False,
                )
        except BaseException:
            self._expire(message_id, quiet=True)
            raise
        if ctx.kind != DM and msg.get("type") != "Probe":
            self.published += 1

    async def subscribe(self, owner: str, ctx: Context) -> None:
        box = await self._queue_of(owner)
        if ctx in box.bound:
            return
        exchange = await self._exchange(exchange_name(ctx, self.domain))
        await box.amqp.bind(exchange, routing_key=_short("routing key", routing_key(ctx)))
        box.bound.add(ctx)

    async def unsubscribe(self, owner: str, ctx: Context) -> None:
        box = self._owners.get(owner)
        if box is None or ctx not in box.bound:
            return
        box.bound.discard(ctx)
        self._forget_waits(owner, {ctx})
        exchange = await self._exchange(exchange_name(ctx, self.domain))
        await box.amqp.unbind(exchange, routing_key=routing_key(ctx))

    def inbox(self, owner: str) -> asyncio.Queue[Message]:
        box = self._owners.get(owner)
        if box is None:
            box = self._owners[owner] = _Inbox()
        return box.queue

    async def close_owner(self, owner: str) -> None:
        box = self._owners.pop(owner, None)
        if box is None:
            return
        self._forget_waits(owner, None)
        if box.amqp is not None and self._channel is not None:
            try:
                if box.consumer is not None:
                    await box.amqp.cancel(box.consumer)  # an auto-delete queue goes with its last consumer
            except Exception as exc:  # the connection may be gone already
                log.debug("cancelling the consumer of %s: %s", owner, exc)

    def pending(self) -> int:
        return sum(box.queue.qsize() for box in self._owners.values())

    def agent_user_data(self) -> dict[str, str]:
        """The user-data keys of an agent in another process that must reach this same broker
        (``net.roboconf.messaging.*``, password included: the user-data file is private, mode 0600)."""
        return user_data(self.config)

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """``callback()`` each time the robust connection comes back after a loss."""
        if self._connection is not None:
            self._connection.reconnect_callbacks.add(lambda *_: callback())

    # ------------------------------------------------------------------ inside
    async def _queue_of(self, owner: str) -> _Inbox:
        self.inbox(owner)
        box = self._owners[owner]
        if box.amqp is None:
            channel = self._need_channel()
            name = _short("queue", queue_name(owner, self.domain))
            box.amqp = await channel.declare_queue(name, durable=True, auto_delete=True)

            async def deliver(incoming: Any) -> None:
                self._deliver(owner, box, incoming)

            box.consumer = await box.amqp.consume(deliver, no_ack=True)
        return box

    def _deliver(self, owner: str, box: _Inbox, incoming: Any) -> None:
        try:
            msg = json.loads(incoming.body)
        except ValueError:
            log.warning("%s: a message that is not JSON was dropped", owner)
            return
        if self._owners.get(owner) is not box:
            return  # closed meanwhile
        handled = (self.owner_control is not None and self.owner_control(owner, msg)) or (
            self.control is not None and self.control(msg)
        )
        if not handled:
            box.queue.put_nowait(msg)
            self.deliveries += 1
            self.delivered_to[owner] += 1
        self._arrived_or_gone(incoming.message_id or "", owner)

    def _arrived_or_gone(self, message_id: str, owner: str) -> None:
        waiting = self._waiting.get(message_id)
        if waiting is None or owner not in waiting[1]:
            return
        waiting[1].discard(owner)
        box = self._owners.get(owner)
        if box is not None:
            box.queue.in_flight -= 1
        if not waiting[1]:
            del self._waiting[message_id]

    def _forget_waits(self, owner: str, contexts: set[Context] | None) -> None:
        """``owner`` may no longer receive what is in flight to it: it stops counting as in flight."""
        for message_id, (ctx, owners) in list(self._waiting.items()):
            if owner in owners and (contexts is None or ctx in contexts):
                self._arrived_or_gone(message_id, owner)

    def _expire(self, message_id: str, quiet: bool = False) -> None:
        """A message still in flight after ``LOCAL_DELIVERY_WAIT``: lost (at most once), no longer counted."""
        waiting = self._waiting.get(message_id)
        if waiting is None:
            return
        if not quiet:
            log.warning("a message to %s did not come back from the broker in time", waiting[0].topic)
        for owner in list(waiting[1]):
            self._arrived_or_gone(message_id, owner)


def _reason(exc: BaseException) -> str:
    """A one-line reason a user can act on, from aiormq's and the socket's exceptions."""
    from aio_pika.exceptions import ProbableAuthenticationError

    text = " ".join(str(a) for a in getattr(exc, "args", ()) if a) or type(exc).__name__
    if isinstance(exc, ProbableAuthenticationError) or "ACCESS_REFUSED" in text:
        return "the broker refused the user name or password"
    if "NOT_ALLOWED" in text or "access to vhost" in text:
        return "the user may not use this virtual host"
    if isinstance(exc, asyncio.TimeoutError):
        return "no answer in time"
    import errno

    refused = errno.ECONNREFUSED in getattr(exc, "args", ())
    if (
        refused
        or isinstance(exc, ConnectionRefusedError)
        or "Connection refused" in text
        or "Connect call failed" in text
    ):
        return "connection refused (is the broker running on that host and port?)"
    return text
