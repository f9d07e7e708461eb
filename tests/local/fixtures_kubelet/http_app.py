"""A tiny HTTP server for kubelet tests: listens on $MODELOPS_PORT, answers who it is.

``GET /healthz`` answers 200 once started; any other path answers
``<pod name> <VERSION env>``. The standard library keeps start-up fast.
"""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            b"ok"
            if self.path == "/healthz"
            else (f"{os.environ.get('HOSTNAME', '')} {os.environ.get('VERSION', '')}".encode())
        )
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


if __name__ == "__main__":
    port = int(os.environ["MODELOPS_PORT"])
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
