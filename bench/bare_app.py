"""The baseline: a bare slack-bolt AsyncApp on aiohttp whose /zoomcal only acks."""

from __future__ import annotations

import argparse
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--signing-secret", required=True)
    parser.add_argument("--slack-api-url", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()

    bolt = AsyncApp(signing_secret=args.signing_secret, client=AsyncWebClient(token=args.token, base_url=args.slack_api_url))

    @bolt.command("/zoomcal")
    async def zoomcal(ack):
        await ack()

    @bolt.action(re.compile(".*"))
    async def clicked(ack):
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/readyz", lambda _: web.Response(text="ok"))
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
