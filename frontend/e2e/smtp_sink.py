"""An SMTP server for the browser tests (Python's aiosmtpd): it binds a free port on 127.0.0.1,
prints `listening on <port>`, then one JSON line per message it accepts (the envelope and the
raw message), and runs until it is stopped."""

import asyncio
import json

from aiosmtpd.smtp import SMTP


class Collect:
    async def handle_DATA(self, server, session, envelope):
        print(
            json.dumps(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "data": envelope.content.decode("utf-8", "replace"),
                }
            ),
            flush=True,
        )
        return "250 Message accepted for delivery"


async def main():
    handler = Collect()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


asyncio.run(main())
