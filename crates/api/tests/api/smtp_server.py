"""An aiosmtpd server for the API tests, for what its command line cannot do.

    python3 smtp_server.py PORT MAILDIR [--refuse "550 5.7.1 No"] [--auth USER:PASSWORD]

Keeps what it accepts in MAILDIR, like `python3 -m aiosmtpd -c aiosmtpd.handlers.Mailbox`.
--refuse answers every message's DATA with that reply. --auth requires AUTH (PLAIN or LOGIN)
with those credentials before MAIL, over plain TCP.
"""

import argparse
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


class Refusing(Mailbox):
    def __init__(self, maildir, reply):
        super().__init__(maildir)
        self.reply = reply

    async def handle_DATA(self, server, session, envelope):
        return self.reply


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("maildir")
    parser.add_argument("--refuse")
    parser.add_argument("--auth")
    args = parser.parse_args()

    handler = Refusing(args.maildir, args.refuse) if args.refuse else Mailbox(args.maildir)
    options = {}
    if args.auth:
        user, password = (part.encode() for part in args.auth.split(":", 1))

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == user
                and auth_data.password == password
            )
            return AuthResult(success=ok, handled=False)

        options = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port, **options)
    controller.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
