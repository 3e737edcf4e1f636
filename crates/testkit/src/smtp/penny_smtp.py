"""aiosmtpd handlers for penny's tests: each accepted message is written as received into a
Maildir (tmp/, then renamed into new/), after three envelope headers like aiosmtpd's Mailbox
writes (X-Peer, X-MailFrom, X-RcptTo). Unlike Mailbox it does not parse and re-serialise the
message, which costs the test server about half its CPU per message."""

import asyncio
import os
import socket
import time


class RawMaildir:
    def __init__(self, mail_dir):
        self.mail_dir = mail_dir
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(mail_dir, sub), exist_ok=True)
        self.count = 0
        self.pid = os.getpid()
        self.host = socket.gethostname().replace("/", "_").replace(":", "_")

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
        name = "%d.M%dP%dQ%d.%s" % (seconds, nanos // 1000, self.pid, self.count, self.host)
        head = "X-Peer: %s\r\nX-MailFrom: %s\r\nX-RcptTo: %s\r\n" % (
            session.peer[0] if isinstance(session.peer, tuple) else session.peer,
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
        )
        tmp = os.path.join(self.mail_dir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head.encode())
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.mail_dir, "new", name))
        return "250 Message accepted for delivery"


class SlowOnce(RawMaildir):
    """Stores the message, then, for the first message only, waits before answering 250: a
    client's timeout then falls between the final dot and the reply."""

    def __init__(self, mail_dir, delay):
        super().__init__(mail_dir)
        self.delay = float(delay)
        self.done = False

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0], args[1])

    async def handle_DATA(self, server, session, envelope):
        status = await super().handle_DATA(server, session, envelope)
        if not self.done:
            self.done = True
            await asyncio.sleep(self.delay)
        return status
