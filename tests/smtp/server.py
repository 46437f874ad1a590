"""A throwaway SMTP server for the email end-to-end tests.

    server.py PORT MAILDIR

Listens on 127.0.0.1:PORT (no TLS, no auth) and writes every message it accepts to MAILDIR as
one file, `<n>.eml`, written under a temporary name and renamed so a reader never sees half a
message. The file starts with `X-Mail-From:` and one `X-Rcpt-To:` line per envelope recipient,
followed by the message exactly as received. Prints "ready" on stdout once it listens, and
runs until killed.
"""

import asyncio
import itertools
import os
import sys

from aiosmtpd.controller import Controller


class SaveToDir:
    def __init__(self, maildir):
        self.maildir = maildir
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        head = [f"X-Mail-From: {envelope.mail_from}"]
        head += [f"X-Rcpt-To: {rcpt}" for rcpt in envelope.rcpt_tos]
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        tmp = os.path.join(self.maildir, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(("\r\n".join(head) + "\r\n").encode("utf-8"))
            f.write(data)
        os.rename(tmp, os.path.join(self.maildir, f"{n:06}.eml"))
        return "250 Message accepted for delivery"


def main():
    port = int(sys.argv[1])
    maildir = sys.argv[2]
    os.makedirs(maildir, exist_ok=True)
    controller = Controller(SaveToDir(maildir), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
