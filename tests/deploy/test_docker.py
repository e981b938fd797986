"""Docker as homelab users expect it, checked without a container engine: the Dockerfile's structure (pinned
base, entrypoint that drops privileges, health check, /config, nothing private copied), the .dockerignore, the
compose files' names against .env.example, and the entrypoint script run with bash in a temporary directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
EXTERNAL = ROOT / "deploy" / "docker-compose.external.yml"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def arguments(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def test_the_base_image_is_pinned_to_a_release():
    (base,) = arguments("FROM")
    image = base.split()[0]
    assert "@sha256:" in image or re.search(r":\d+\.\d+\.\d+-", image), f"pin the base image version: {image}"
    assert not image.endswith(":latest")


def test_the_entrypoint_owns_config_and_drops_privileges():
    (entrypoint,) = arguments("ENTRYPOINT")
    assert "shelfkeeper-entrypoint" in entrypoint
    copies = " ".join(arguments("COPY"))
    assert "deploy/entrypoint.sh" in copies
    script = ENTRYPOINT.read_text(encoding="utf-8")
    assert "setpriv --reuid" in script and 'chown -R "$PUID:$PGID"' in script
    env = " ".join(arguments("ENV"))
    assert "DATA_DIR=/config" in env and "PUID=" in env and "PGID=" in env and "UMASK=" in env
    assert arguments("VOLUME") == ['["/config"]']
    assert any("util-linux" in run and "tzdata" in run for run in arguments("RUN")), "setpriv and TZ data installed"


def test_a_health_check_calls_health():
    (check,) = arguments("HEALTHCHECK")
    assert "/health" in check and "--interval" in check


def test_no_secret_or_local_state_is_copied():
    for copied in arguments("COPY") + arguments("ADD"):
        sources = [part for part in copied.split() if not part.startswith("--")][:-1]
        for source in sources:
            assert source in ("pyproject.toml", "README.md", "src", "./src", "deploy/entrypoint.sh"), source
    assert not arguments("ADD")
    assert not any(re.search(r"(API_KEY|TOKEN|PASSWORD|MAM_ID)=", env) for env in arguments("ENV"))


def test_dockerignore_keeps_private_and_heavy_things_out():
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".venv", "data", ".env", ".git", "**/__pycache__"):
        assert needed in patterns, needed


def compose(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.split("#")[0].strip()
    return values


def test_env_example_host_names_are_compose_services_on_their_listening_ports():
    services = compose(COMPOSE)["services"]
    assert {"audiobookshelf", "qbittorrent", "prowlarr", "postgres", "shelfkeeper"} <= set(services)
    env = env_example()
    abs_url, prowlarr_url = urlsplit(env["ABS_URL"]), urlsplit(env["PROWLARR_URL"])
    assert abs_url.hostname == "audiobookshelf" and any(
        port.endswith(f":{abs_url.port}") for port in services["audiobookshelf"]["ports"]
    ), "ABS_URL's port is the one Audiobookshelf listens on in the network"
    assert prowlarr_url.hostname == "prowlarr" and any(
        port.endswith(f":{prowlarr_url.port}") for port in services["prowlarr"]["ports"]
    )
    assert env["QB_HOST"] == "qbittorrent"
    assert services["qbittorrent"]["environment"]["WEBUI_PORT"] == env["QB_PORT"]
    shelfkeeper = services["shelfkeeper"]
    assert "@postgres:5432/" in shelfkeeper["environment"]["DATABASE_URL"]
    assert set(shelfkeeper["depends_on"]) == {"postgres", "audiobookshelf", "qbittorrent", "prowlarr"}


def test_library_and_downloads_are_at_the_same_paths_in_every_container():
    services = compose(COMPOSE)["services"]
    env = env_example()
    for name in ("shelfkeeper", "qbittorrent"):
        targets = {volume.rsplit(":", 1)[1] for volume in services[name]["volumes"]}
        assert {"/downloads", env["QB_SAVE_PATH"]} <= targets | {env["QB_SAVE_PATH"]}, name
        assert "/audiobooks" in targets, name
    abs_targets = {volume.rsplit(":", 1)[1] for volume in services["audiobookshelf"]["volumes"]}
    assert env["LIBRARY_PATH"] in abs_targets


def test_the_external_variant_runs_shelfkeeper_alone_with_config_in_config():
    services = compose(EXTERNAL)["services"]
    assert list(services) == ["shelfkeeper"]
    assert services["shelfkeeper"]["environment"]["DATA_DIR"] == "/config"


# ---- the entrypoint script, run by bash in a temporary directory ----


def entrypoint(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ["PATH"], "CONFIG_DIR": str(tmp_path / "config"), **env}
    return subprocess.run(
        ["bash", str(ENTRYPOINT), *command], env=environment, capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_dry_run_maps_puid_and_pgid_onto_config_and_the_service(tmp_path):
    result = entrypoint(
        tmp_path, "sh", "-c", 'echo "data=$DATA_DIR tz=$TZ timezone=$TIMEZONE"',
        PUID="1234", PGID="2345", UMASK="027", TZ="Europe/Paris", ENTRYPOINT_DRY_RUN="1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"would run: chown -R 1234:2345 {tmp_path / 'config'}" in lines
    assert any(
        line.startswith("would exec: setpriv --reuid=1234 --regid=2345 --clear-groups -- sh -c") for line in lines
    )
    assert f"data={tmp_path / 'config'} tz=Europe/Paris timezone=Europe/Paris" in lines
    assert "running as 1234:2345, umask 0027" in result.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_umask_applies_to_the_files_the_service_writes(tmp_path):
    (tmp_path / "config").mkdir()
    target = tmp_path / "config" / "written"
    result = entrypoint(tmp_path, "sh", "-c", f'umask; echo x > "{target}"', UMASK="027", ENTRYPOINT_DRY_RUN="1")
    assert result.returncode == 0, result.stderr
    assert "0027" in result.stdout.splitlines()
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_an_owner_already_right_is_not_chowned_again(tmp_path):
    (tmp_path / "config").mkdir()
    uid, gid = os.getuid(), os.getgid()
    result = entrypoint(tmp_path, "true", PUID=str(uid), PGID=str(gid), ENTRYPOINT_DRY_RUN="1")
    assert result.returncode == 0, result.stderr
    assert "chown" not in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"), [("PUID", "abc"), ("PGID", "-1"), ("UMASK", "999"), ("TZ", "Mars/Olympus")]
)
def test_bad_values_stop_with_a_message_naming_the_variable(tmp_path, variable, value):
    result = entrypoint(tmp_path, "true", **{variable: value})
    assert result.returncode == 2
    assert variable in result.stderr and "would" not in result.stdout
