"""What the Dockerfile relies on: a plain (non-editable) install carries the code and the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_a_built_install_migrates_a_database_from_anywhere(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(ROOT)],
        check=True, timeout=300, capture_output=True,
    )
    assert not (target / "tests").exists(), "tests are not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOMCAL_", "SLACK_", "ZOOM_", "MS_"))}
    # Our checkout must not be importable: only the installed copy is.
    env |= {"PYTHONPATH": str(target), "ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'z.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", "import sys, bot; assert 'site' in bot.__file__, bot.__file__; "
                               "from bot.cli import main; sys.argv = ['zoomcal', 'db', 'upgrade']; sys.exit(main())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout


def test_the_image_listens_on_all_interfaces_as_a_non_root_user_and_serves():
    for line in ("ZOOMCAL_HOST=0.0.0.0", "USER zoomcal", 'ENTRYPOINT ["zoomcal"]', 'CMD ["serve"]', "EXPOSE 3000"):
        assert line in DOCKERFILE
    copied = {line.split()[1] for line in DOCKERFILE.splitlines() if line.startswith("COPY ")}
    assert {"bot", "handlers", "storage"} <= copied and all((ROOT / c).exists() for c in copied)
