"""A text browser for the two web pages of the flow: Microsoft's consent page and the bot's callback page."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import aiohttp

_BLOCKS = {"h1": "# ", "h2": "## ", "p": "", "li": "  • ", "dt": "", "dd": "    "}


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # label (lower case) → (name, value)


@dataclass
class Page:
    url: str
    status: int
    title: str = ""
    lines: list[str] = field(default_factory=list)
    form: Form | None = None

    def render(self) -> list[str]:
        where = urlsplit(self.url)
        shown = f"{where.scheme}://{where.netloc}{where.path}"  # the query holds the consent state: keep it off screen
        head = f"+-- browser: {self.title or '(untitled)'}  <{shown}>" + (f"  HTTP {self.status}" if self.status >= 400 else "")
        body = ["| " + line for line in self.lines]
        if self.form and self.form.buttons:
            body.append("| buttons: " + " · ".join(f"[{label.title()}]" for label in self.form.buttons))
        return [head, *body, "+--"]


class _Reader(HTMLParser):
    def __init__(self, url: str, status: int):
        super().__init__(convert_charrefs=True)
        self.page = Page(url, status)
        self._tag: str | None = None  # the text block being read
        self._text: list[str] = []
        self._in_title = False
        self._button: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag in _BLOCKS:
            self._flush()
            self._tag = tag
        elif tag == "form":
            self.page.form = Form(urljoin(self.page.url, attr.get("action", "")))
        elif tag == "input" and self.page.form is not None and attr.get("type") == "hidden":
            self.page.form.fields[attr.get("name", "")] = attr.get("value", "")
        elif tag == "button":
            self._flush()
            self._button, self._text = (attr.get("name", ""), attr.get("value", "")), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "button" and self._button is not None:
            label = " ".join("".join(self._text).split())
            if self.page.form is not None:
                self.page.form.buttons[label.lower()] = self._button
            self._button, self._text = None, []
        elif tag == self._tag:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page.title += data.strip()
        elif self._tag or self._button:
            self._text.append(data)

    def _flush(self) -> None:
        words = " ".join("".join(self._text).split())
        if self._tag and words:
            self.page.lines.append(_BLOCKS[self._tag] + words)
        self._tag, self._text = None, []


def read(url: str, status: int, html: str) -> Page:
    reader = _Reader(url, status)
    reader.feed(html)
    reader.close()
    return reader.page


class Browser:
    """Fetches pages and presses form buttons; redirects are followed one hop at a time so each is shown."""

    def __init__(self, http: aiohttp.ClientSession):
        self._http = http
        self.page: Page | None = None

    async def open(self, url: str) -> Page:
        async with self._http.get(url, allow_redirects=False) as response:
            self.page = read(str(response.url), response.status, await response.text())
        return self.page

    async def press(self, label: str) -> tuple[str | None, Page | None]:
        """Presses the form button labelled ``label``; returns (where it redirected, the page it ended on)."""
        form = self.page.form if self.page else None
        if form is None or label not in form.buttons:
            return None, None
        name, value = form.buttons[label]
        async with self._http.post(form.action, data=form.fields | {name: value}, allow_redirects=False) as response:
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                self.page = read(str(response.url), response.status, await response.text())
                return None, self.page
        target = urljoin(form.action, location)
        return target, await self.open(target)
