"""The deployment files agree with each other, with the code and with the contract.

No container runtime runs here, so these read compose.yaml, .env.example, the Dockerfile and
docs/examples/nginx.conf and check what a platform team relies on: the order services start in,
ports, volumes, the image's entrypoint and data volume, and that the env file names exactly
the contract's variables.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.config import Purpose, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
NGINX = (ROOT / "docs" / "examples" / "nginx.conf").read_text()

# CI clones the project with shared/ beside it; a helper's worktree sees it at /work/shared.
CONTRACTS = [ROOT.parent / "shared" / "CONTRACT.md", Path("/work/shared/CONTRACT.md")]
VARIABLE = re.compile(r"\b(?:ZOOMCAL|SLACK|ZOOM|MS|AZURE)_[A-Z0-9_]+\b")


def _contract() -> str:
    for path in CONTRACTS:
        if path.is_file():
            return path.read_text()
    pytest.skip(f"the contract is not beside the project (looked at {', '.join(map(str, CONTRACTS))})")


def _contract_table_variables(text: str) -> set[str]:
    """The variables of the contract's Environment table (a row may name several)."""
    section = text.split("\n## Environment", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith(("| variable", "|---")):
            names |= set(VARIABLE.findall(line.split("|")[1]))
    return names


def _env_example() -> dict[str, tuple[str, bool]]:
    """NAME -> (value, set): `NAME=value` lines are set, `# NAME=value` lines are shown commented out."""
    entries: dict[str, tuple[str, bool]] = {}
    for line in ENV_EXAMPLE.splitlines():
        match = re.fullmatch(r"(# )?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            assert match[2] not in entries, f"{match[2]} appears twice in .env.example"
            entries[match[2]] = (match[3], match[1] is None)
    return entries


def _interpolated() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "compose.yaml").read_text()))


def _instructions() -> list[str]:
    """The Dockerfile's instructions in order, continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def _dockerfile(instruction: str) -> list[str]:
    """The arguments of each instruction of that name."""
    return [line.split(None, 1)[1] for line in _instructions() if line.split(None, 1)[0] == instruction]


def _image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in _dockerfile("ENV"):
        env |= dict(item.split("=", 1) for item in shlex.split(args))
    return env


def _depends(service: str) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in SERVICES[service]["depends_on"].items()}


def test_compose_runs_the_database_then_the_migrations_once_then_the_replicas():
    assert set(SERVICES) == {"db", "migrate", "zoomcal", "proxy"}
    assert _depends("migrate") == {"db": "service_healthy"}
    assert _depends("zoomcal") == {"db": "service_healthy", "migrate": "service_completed_successfully"}
    assert _depends("proxy") == {"zoomcal": "service_healthy"}

    assert SERVICES["migrate"]["command"] == ["db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no", "a one-shot service must not be restarted after it exits"
    serve = SERVICES["zoomcal"]["command"]
    assert serve[0] == "serve" and "--no-migrate" in serve, "replicas leave migrations to the migrate service"
    assert SERVICES["zoomcal"]["deploy"]["replicas"] >= 2
    for name in ("migrate", "zoomcal"):
        assert SERVICES[name]["build"] == "." and (ROOT / "Dockerfile").is_file()
        assert SERVICES[name]["image"] == SERVICES["zoomcal"]["image"], "the migrations come from the same image"
        assert SERVICES[name]["env_file"] == ".env"


def test_the_database_is_health_checked_and_keeps_its_data_in_a_named_volume():
    db = SERVICES["db"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "db-data:/var/lib/postgresql/data" in db["volumes"]
    assert "db-data" in COMPOSE["volumes"]
    # The replicas reach this database, as the user and database it creates, with its password.
    url = make_url(
        SERVICES["zoomcal"]["environment"]["ZOOMCAL_DATABASE_URL"].replace(
            "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "pw"
        )
    )
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port, url.username, url.password) == ("db", 5432, db["environment"]["POSTGRES_USER"], "pw")
    assert url.database == db["environment"]["POSTGRES_DB"]
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?"), "no default password"
    assert "ports" not in db, "the database is not published on the host"


def test_the_proxy_publishes_one_port_and_forwards_to_the_replicas_port():
    port = _image_env()["ZOOMCAL_PORT"]
    assert SERVICES["zoomcal"]["expose"] == [port]
    assert "ports" not in SERVICES["zoomcal"], "replicas publish no host port (two would collide)"
    (published,) = SERVICES["proxy"]["ports"]
    host_ip, host_port, container_port = published.split(":")
    assert (host_ip, host_port) == ("127.0.0.1", "3000"), "TLS is terminated in front, on the host"
    assert re.search(rf"^\s*listen {container_port};", NGINX, re.M)
    assert re.search(rf"set \$zoomcal http://zoomcal:{port};", NGINX) and "proxy_pass $zoomcal;" in NGINX
    assert "./docs/examples/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in SERVICES["proxy"]["volumes"]
    # zoomcal answers 413 past 1 MiB itself, so the proxy must let such a body through.
    assert re.search(r"client_max_body_size 2m;", NGINX)


def test_env_example_names_every_contract_variable_and_nothing_else():
    contract = _contract()
    table = _contract_table_variables(contract)
    assert {"SLACK_SIGNING_SECRET", "ZOOMCAL_ENCRYPTION_KEY", "MS_GRAPH_URL"} <= table, "the table was parsed"
    named = set(_env_example())
    assert table - named == set(), "contract variables missing from .env.example"
    # Beside the table, the contract names a few more in its text (ZOOMCAL_HOST, ZOOMCAL_PORT); compose's
    # own ${…} variables (the database password) are the only others allowed.
    extra = named - set(VARIABLE.findall(contract)) - _interpolated()
    assert extra == set(), f"not contract variables: {sorted(extra)}"
    assert _interpolated() <= {name for name, (_, is_set) in _env_example().items() if is_set}


def test_env_example_is_a_valid_env_file_with_no_secrets_and_every_required_setting_to_fill_in():
    for line in ENV_EXAMPLE.splitlines():
        if line and not line.startswith("#"):
            # docker run --env-file takes a value literally: quotes or a trailing comment would be part of it.
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s\"'#]*", line), f"not a plain NAME=value line: {line!r}"
    entries = _env_example()
    for name, (value, is_set) in entries.items():
        if is_set and re.search(r"SECRET|TOKEN|KEY|PASSWORD", name):
            assert value == "", f"{name} must be left empty in .env.example, not {value!r}"
    required = {"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "ZOOMCAL_PUBLIC_URL", "ZOOMCAL_ENCRYPTION_KEY",
                "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "MS_CLIENT_ID", "MS_CLIENT_SECRET"}
    assert required <= {name for name, (_, is_set) in entries.items() if is_set}
    # Set, even empty, it would replace the image's default (the database in the volume) and compose's URL.
    assert not entries["ZOOMCAL_DATABASE_URL"][1]
    # As shipped, the file loads only with the blanks filled in: zoomcal names each blank required variable.
    env = {name: value for name, (value, is_set) in entries.items() if is_set}
    with pytest.raises(SettingsError) as refused:
        load_settings(env, Purpose.SERVE)
    for name in ("SLACK_SIGNING_SECRET", "ZOOMCAL_ENCRYPTION_KEY", "MS_CLIENT_ID"):
        assert name in str(refused.value)


def test_every_variable_zoomcal_reads_is_in_the_configuration_table():
    config = (ROOT / "bot" / "config.py").read_text()
    read = set(re.findall(r"r\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", config))
    assert {"SLACK_BOT_TOKEN", "ZOOMCAL_DATABASE_URL", "ZOOMCAL_LOG_FORMAT"} <= read, "config.py was parsed"
    table = (ROOT / "docs" / "configuration.md").read_text().split("\n## ", 1)[0]
    documented = {name for line in table.splitlines() if line.startswith("| `") for name in
                  re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1])}
    assert read - documented == set(), "read by bot/config.py but not in docs/configuration.md's table"
    assert set(_env_example()) - _interpolated() <= documented


def test_the_image_runs_the_installed_zoomcal_and_keeps_sqlite_in_its_volume():
    assert [json.loads(args) for args in _dockerfile("ENTRYPOINT")] == [["zoomcal"]]
    assert [json.loads(args) for args in _dockerfile("CMD")] == [["serve"]]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["zoomcal"] == "bot.cli:main"

    env = _image_env()
    database = make_url(env["ZOOMCAL_DATABASE_URL"])
    assert database.drivername == "sqlite+aiosqlite"
    (volume,) = _dockerfile("VOLUME")
    assert posixpath.dirname(database.database) == volume == "/data"
    settings = load_settings({"ZOOMCAL_DATABASE_URL": env["ZOOMCAL_DATABASE_URL"]}, Purpose.DATABASE)
    assert settings.database_url == env["ZOOMCAL_DATABASE_URL"]

    # The non-root user owns the volume's folder, made before VOLUME (later changes to it would be lost).
    (user,) = _dockerfile("USER")
    assert user not in ("root", "0")
    run = " ".join(_dockerfile("RUN"))
    assert f"chown {user}:{user} {volume}" in run
    order = [line for line in _instructions() if line.startswith(("RUN ", "VOLUME "))]
    assert f"chown {user}" in order[0] and order[-1] == f"VOLUME {volume}"
    assert env["ZOOMCAL_HOST"] == "0.0.0.0" and _dockerfile("EXPOSE") == [env["ZOOMCAL_PORT"]]
    assert "/healthz" in " ".join(_dockerfile("HEALTHCHECK"))


def test_the_documented_docker_run_is_complete():
    volume = _dockerfile("VOLUME")[0]
    port = _image_env()["ZOOMCAL_PORT"]
    for doc in ("README.md", "docs/deploy.md"):
        text = (ROOT / doc).read_text()
        runs = [" ".join(c.split()) for c in re.findall(r"docker run -d .*?zoomcal$", text.replace("\\\n", " "), re.M | re.S)]
        assert runs, f"no docker run example in {doc}"
        run = runs[0]
        assert f"-p {port}:{port}" in run and f"-v zoomcal-data:{volume}" in run and "--env-file zoomcal.env" in run, run
