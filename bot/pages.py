"""The small HTML pages of /microsoft/callback."""

from __future__ import annotations

from html import escape

from bot.services.results import CallbackPage

HEADERS = {
    # The callback URL carries the consent state: never leak it through a Referer or a cache.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="robots" content="noindex">
<title>{title} · zoomcal</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem;
  color: #1d1c1d; background: #fff; }}
.ok {{ border-left: 6px solid #007a5a; padding-left: 1rem; }}
.bad {{ border-left: 6px solid #c01343; padding-left: 1rem; }}
dt {{ font-weight: 600; }}
dd {{ margin: 0 0 .5rem; }}
</style>
</head>
<body>
<main class="{css}">
<h1>{title}</h1>
{message}
{facts}
<p>You can close this window and return to Slack.</p>
</main>
</body>
</html>
"""


def render(page: CallbackPage) -> str:
    facts = ""
    if page.scope is not None:
        scope = "Account" if page.scope.is_account else f"Group: {page.scope.name}"
        rows = [("Zoom scope", scope)]
        if page.organization:
            rows.append(("Microsoft organization", page.organization))
        facts = "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows) + "</dl>"
    message = f"<p>{escape(page.message)}</p>"
    if not page.succeeded:  # announced by assistive technology as soon as the page loads
        message = f'<div role="alert">{message}</div>'
    return _TEMPLATE.format(
        title=escape(page.title),
        message=message,
        facts=facts,
        css="ok" if page.succeeded else "bad",
    )
