#!/usr/bin/env python3
"""A webhook receiver for local demos: listens on 127.0.0.1, verifies each message's Standard Webhooks
signature with the endpoint's whsec_ secret, prints the event and answers 204 (401 if the signature does
not verify, or the timestamp is more than 5 minutes off).

    python3 infra/webhooks/receiver.py --port 9000 --secret whsec_...

Register it with POST /v1/webhooks {"url": "http://127.0.0.1:9000/hook"} on `make run` (which allows plain
http to 127.0.0.1; deployments accept only https to public addresses).
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import time

TOLERANCE_SECONDS = 300


def verify(secret: str, msg_id: str, timestamp: str, body: bytes, signatures: str) -> str:
    """"verified", or why not."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    off = abs(time.time() - int(timestamp))
    if off > TOLERANCE_SECONDS:
        return f"REFUSED: timestamp {off:.0f} s off"
    if not any(hmac.compare_digest(expected, s) for s in signatures.split(" ")):
        return "REFUSED: no signature matches the secret"
    return "verified"


def handler(secret: str):
    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the stdlib's name)
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            verdict = verify(secret, self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", "0"),
                             body, self.headers.get("webhook-signature", ""))
            event = json.loads(body or b"{}")
            print(f"{verdict} {self.headers.get('webhook-id')} {event.get('type')}: {json.dumps(event.get('data'))}",
                  flush=True)
            self.send_response(204 if verdict == "verified" else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    return Receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_ secret")
    args = parser.parse_args()
    print(f"listening on http://127.0.0.1:{args.port}/hook", flush=True)
    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.secret)).serve_forever()


if __name__ == "__main__":
    main()
