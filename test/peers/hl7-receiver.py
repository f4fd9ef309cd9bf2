"""An HL7 v2 receiver for tests, built on Debian's python3-hl7 (the independent peer): an asyncio MLLP
server on loopback that parses every message with python3-hl7, appends what it read to a JSON-lines file
(every field as repetitions -> components -> subcomponents, unescaped by python3-hl7) and answers with
python3-hl7's own ACK. The first answers can be scripted (e.g. AE, AR); every later one is AA.

Usage: /usr/bin/python3 hl7-receiver.py OUT_FILE [--port N] [--answers AE,AE]
Prints "LISTENING <port>" once it accepts connections.
"""
import argparse
import asyncio
import json
import sys

import hl7
from hl7.mllp import start_hl7_server


def view(message):
    """Every segment as [name, fields], fields[0] being field 1 (MSH-1 and MSH-2 as sent)."""

    def leaf(value):
        return message.unescape(str(value))

    def component(value):
        return [leaf(value)] if isinstance(value, str) else [leaf(sub) for sub in value]

    def repetition(value):
        return [[leaf(value)]] if isinstance(value, str) else [component(c) for c in value]

    def field(value):
        if isinstance(value, str):
            return [[[leaf(value)]]]
        if all(isinstance(part, str) for part in value):
            return [[[leaf("".join(value))]]]
        return [repetition(r) for r in value]

    segments = []
    for segment in message:
        name = str(segment[0])
        if name == "MSH":
            fields = [[[[str(segment[1])]]], [[[str(segment[2])]]]] + [field(f) for f in segment[3:]]
        else:
            fields = [field(f) for f in segment[1:]]
        segments.append([name, fields])
    return segments


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--answers", default="")
    args = parser.parse_args()
    scripted = [code for code in args.answers.split(",") if code]

    async def handle(reader, writer):
        try:
            while not writer.is_closing():
                message = await reader.readmessage()
                code = scripted.pop(0) if scripted else "AA"
                record = {
                    "ack": code,
                    "controlId": str(message.segment("MSH")[10]),
                    "raw": str(message),
                    "segments": view(message),
                }
                with open(args.out, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")
                writer.writemessage(message.create_ack(ack_code=code, application="TEST-RIS"))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await start_hl7_server(
        handle, host="127.0.0.1", port=args.port, encoding="utf-8", encoding_errors="strict"
    )
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
