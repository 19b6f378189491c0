"""The ``iocmap`` command, run as a user would run it."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from iocmap.cli import app
from tests.conftest import ROOT, free_port

IOCMAP = str(Path(sys.executable).parent / "iocmap")


@pytest.fixture
def cli_env(engine, database_url, monkeypatch):
    monkeypatch.setenv("IOCMAP_DATABASE_URL", database_url)
    return CliRunner()


def test_users_create_list_set_role_disable(cli_env):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    r = cli_env.invoke(app, ["users", "create", name, "--role", "officer", "--password", "mat-khau-cli-1",
                             "--agency", "ubnd-24670", "--full-name", "Lê Văn C"])
    assert r.exit_code == 0, r.output
    r = cli_env.invoke(app, ["users", "list"])
    assert name in r.output and "ubnd-24670" in r.output
    assert cli_env.invoke(app, ["users", "set-role", name, "leader"]).exit_code == 0
    assert cli_env.invoke(app, ["users", "disable", name]).exit_code == 0
    r = cli_env.invoke(app, ["users", "list"])
    line = next(line for line in r.output.splitlines() if name in line)
    assert "leader" in line and "no" in line


def test_users_create_refuses_bad_role_with_a_message(cli_env):
    r = cli_env.invoke(app, ["users", "create", "cli-bad", "--role", "king", "--password", "mat-khau-cli-1"])
    assert r.exit_code == 1
    assert "role" in r.output


def test_load_defaults_is_idempotent(cli_env):
    first = cli_env.invoke(app, ["load-defaults"])
    second = cli_env.invoke(app, ["load-defaults"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output


def test_serve_from_scratch_then_again_then_ctrl_c(tmp_path_factory):
    """`iocmap serve` on an empty data dir: cluster, migrations, data, admin, URL; Ctrl-C stops it."""
    data_dir = Path(tempfile.mkdtemp(prefix="iocmap-serve-"))
    data_dir.chmod(0o755)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "IOCMAP_DATABASE_URL")}
    env |= {"IOCMAP_DATA_DIR": str(data_dir), "IOCMAP_PORT": str(port), "IOCMAP_PG_PORT": str(free_port())}

    def run_once() -> str:
        proc = subprocess.Popen([IOCMAP, "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        out = []
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if "running at" in line or time.monotonic() > deadline:
                break
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        fc = httpx.get(f"{base}/api/v1/layers/communes/features").json()
        assert len(fc["features"]) == 10
        assert "leaflet" in httpx.get(f"{base}/").text.lower()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, rest
        return "".join(out) + rest

    try:
        first = run_once()
        assert f"http://127.0.0.1:{port}/" in first
        assert re.search(r"password:\S*\s+\S+", first), "generated admin password is printed once"
        second = run_once()
        assert "password:" not in second  # admin exists: nothing generated again
        assert "loading the Đắk Mil dataset" not in second
    finally:
        subprocess.run([IOCMAP, "db", "stop"], cwd=ROOT, env=env, check=False)
        subprocess.run(["rm", "-rf", str(data_dir)], check=False)
