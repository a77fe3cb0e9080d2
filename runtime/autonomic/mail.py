"""The ``email`` instruction (runtime.md §6.3): one message through SMTP, configured by preferences.

Preferences (Roboconf's DM preferences, JavaMail's names): ``mail.smtp.host`` (default
``localhost``), ``mail.smtp.port`` (25), ``mail.from`` (``roboconf@localhost``), ``mail.smtp.auth``
with ``mail.user`` / ``mail.password``, ``mail.smtp.starttls.enable``, ``mail.smtp.ssl.enable``;
``email.default.recipients`` (comma-separated) are **always** added to the recipients the
instruction names.  The subject is "Roboconf event" unless the message starts with a
``Subject: …`` line; a literal ``\\n`` (what Roboconf's code reads) and ``@n@`` (what its
documentation says) both make a line break.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

DEFAULT_SUBJECT = "Roboconf event"
TIMEOUT = 10.0


class MailError(Exception):
    """The message could not be sent (the instruction fails)."""


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str


def compose(recipients: list[str], message: str, preference: Callable[[str, str | None], str | None]) -> Mail:
    """The message an ``email`` instruction sends."""
    text = message.replace("\\n", "\n").replace("@n@", "\n")
    subject = DEFAULT_SUBJECT
    first, sep, rest = text.partition("\n")
    if first.strip().lower().startswith("subject:"):
        subject = first.strip()[len("subject:") :].strip() or DEFAULT_SUBJECT
        text = rest if sep else ""
    everyone: list[str] = []
    defaults = (preference("email.default.recipients", "") or "").split(",")
    for address in [*recipients, *defaults]:
        address = address.strip()
        if address and address not in everyone:
            everyone.append(address)
    sender = preference("mail.from", None) or "roboconf@localhost"
    return Mail(sender, tuple(everyone), subject, text.strip("\n"))


def send(mail: Mail, preference: Callable[[str, str | None], str | None]) -> None:
    """Send ``mail`` (raises :class:`MailError`)."""
    if not mail.recipients:
        raise MailError("no recipient (name one, or set email.default.recipients)")
    host = preference("mail.smtp.host", "localhost") or "localhost"
    try:
        port = int(preference("mail.smtp.port", "25") or "25")
    except ValueError:
        raise MailError(f"mail.smtp.port is not a port number: {preference('mail.smtp.port', None)!r}") from None

    def flag(key: str) -> bool:
        return (preference(key, "false") or "").strip().lower() == "true"

    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = ", ".join(mail.recipients)
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    try:
        factory = smtplib.SMTP_SSL if flag("mail.smtp.ssl.enable") else smtplib.SMTP
        with factory(host, port, timeout=TIMEOUT) as smtp:
            if flag("mail.smtp.starttls.enable"):
                smtp.starttls()
            if flag("mail.smtp.auth"):
                smtp.login(preference("mail.user", "") or "", preference("mail.password", "") or "")
            smtp.send_message(msg, from_addr=mail.sender, to_addrs=list(mail.recipients))
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"cannot send the e-mail through {host}:{port} ({exc})") from None
