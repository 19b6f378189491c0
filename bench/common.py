"""What the benchmark scripts share: a free port, percentiles, the load average, and the
real app started with uvicorn against a benchmark cluster. Import after putting ``bench/``
on ``sys.path`` (the scripts run as files, not as a package)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """The q-th percentile by nearest rank (NaN for no values)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def start_server(url: str, *, workers: int = 1, env: dict[str, str] | None = None,
                 keep_alive: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """The app under uvicorn on a free port against ``url``, once /healthz answers: (process,
    base URL). ``env`` adds IOCMAP_* settings; ``keep_alive`` outlives the client's idle
    connections (a server closing one as the client reuses it shows as a failed request)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "iocmap.asgi:create", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if keep_alive is not None:
        command += ["--timeout-keep-alive", str(keep_alive)]
    server = subprocess.Popen(command, cwd=ROOT, env={
        **os.environ, "IOCMAP_DATABASE_URL": url, "IOCMAP_LOG_LEVEL": "warning", **(env or {})})
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def shut_down(server: subprocess.Popen[bytes] | None, cluster: Any, tmp: Path, keep: bool) -> None:
    """Stop the app, then stop a kept cluster (``--keep``) or remove a throwaway one."""
    if server is not None:
        server.terminate()
        server.wait(timeout=20)
    if keep:
        cluster.stop()
    else:
        cluster.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
