"""The README and docs/ say what the code does: the console's prompt and verbs, the test command CI runs,
and links that lead somewhere. A newcomer pastes these lines; each must work as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console.terminal import PROMPT

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S)


def _typed(block: str) -> list[str]:
    """What a transcript's reader types: the text after each prompt."""
    return [line[len(PROMPT):] for line in block.splitlines() if line.startswith(PROMPT)]


def _transcripts() -> list[tuple[str, list[str]]]:
    found = []
    for path in (ROOT / "README.md", ROOT / "docs" / "console.md"):
        for block in _code_blocks(path.read_text()):
            if _typed(block):
                found.append((path.name, _typed(block)))
    return found


def test_the_readme_is_short_and_its_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    test_section = readme.split("\n## Test it\n", 1)[1].split("\n## ", 1)[0]
    assert _code_blocks(test_section)[0].strip() == ci[-1] == "python -m pytest"
    setup = readme.split("\n## Set up\n", 1)[1].split("\n## ", 1)[0]
    assert _code_blocks(setup)[0].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")


def test_transcripts_show_the_consoles_own_prompt():
    transcripts = _transcripts()
    assert {name for name, _ in transcripts} == {"README.md", "console.md"}
    for path in (ROOT / "README.md", ROOT / "docs" / "console.md"):
        for block in _code_blocks(path.read_text()):
            assert not re.search(r"^> ", block, re.M), f"a `> ` prompt in {path.name}: the console's is {PROMPT!r}"


@pytest.mark.parametrize("name, typed", _transcripts(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_transcript_pasted_into_the_console_works(name, typed):
    result = subprocess.run([sys.executable, "-m", "bot.cli", "console"], input="\n".join(typed) + "\n",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Unknown command" not in result.stdout, result.stdout
    assert "Usage" not in result.stdout and "There is no" not in result.stdout, result.stdout
    echoed = [line for line in result.stdout.splitlines() if line.startswith(("> ", PROMPT))]
    assert len(echoed) == len(typed), "each line was read as one command"


def test_links_between_the_docs_lead_to_a_file_and_a_heading():
    def anchors(path: Path) -> set[str]:
        headings = re.findall(r"^#+ (.*)$", path.read_text(), re.M)
        return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}

    broken = []
    for doc in DOCS:
        for link in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if link.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, fragment = link.partition("#")
            target = (doc.parent / path).resolve() if path else doc
            if not target.exists() or (fragment and target.suffix == ".md" and fragment not in anchors(target)):
                broken.append(f"{doc.relative_to(ROOT)}: {link}")
    assert broken == []
