"""The ceiling: a bare aiohttp handler that decodes a V2 body and answers a fixed prediction.

Run as ``python bare_server.py PORT``; no model, no validation, no metrics.
"""

from __future__ import annotations

import sys

import orjson
from aiohttp import web

ANSWER = orjson.dumps(
    {
        "model_name": "cancer",
        "outputs": [{"name": "label", "datatype": "INT64", "shape": [1], "data": [0]}],
    }
)


async def infer(request: web.Request) -> web.Response:
    orjson.loads(await request.read())
    return web.Response(body=ANSWER, content_type="application/json")


def main() -> None:
    app = web.Application()
    app.router.add_post("/v2/models/cancer/infer", infer)
    app.router.add_get("/v2/health/ready", lambda request: web.Response(text="ok"))  # type: ignore[arg-type, return-value]
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
