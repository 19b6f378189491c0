# ruff: noqa
# Copied from ../shared/bench/peers/bench_http.py (the team's peer-benchmark harness) so that
# bench/ runs on its own; kept verbatim (hence no lint) to stay diffable against the original,
# except one change marked "bench/ change": --name also renames the tipg target, so tipg can
# be measured twice in a run (all tiles, and only the tiles where it serves every feature).
"""HTTP benchmark harness (stdlib only; drives `wrk` on loopback).

Starts one target server (tipg / pygeoapi / a custom command such as our own
project later), waits until it answers, then for each scenario runs a warm-up
plus N bounded wrk runs and records medians. It also does one sequential
pass over the tile list (single keep-alive connection) for per-zoom latency
and tile size, samples the server process-tree RSS, and finally stops the
server by its PID.

Examples:
  python bench_http.py --target tipg --workers 1
  python bench_http.py --target pygeoapi --workers 2 --scenarios items_1km2,items_100km2
  python bench_http.py --target custom --name ours --port 8090 \
      --start-cmd "uvicorn app.main:app --host 127.0.0.1 --port 8090 --workers 2" \
      --items-path "/collections/reports/items?bbox={bbox}&limit=1000" \
      --tile-path "/tiles/reports/{z}/{x}/{y}.mvt" --ready-path /healthz

Writes $PB_RESULTS/http-<name>-w<workers>.json (see summarize.py).
"""
import argparse
import http.client
import json
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("PB_ROOT", "/tmp/peerbench")
RESULTS = os.environ.get("PB_RESULTS", os.path.join(ROOT, "results"))
DSN = os.environ.get("PB_DSN", "postgresql://postgres@127.0.0.1:55432/bench")
PGPORT = int(os.environ.get("PB_PGPORT", "55432"))

# ~1 km2 and ~100 km2 boxes centred on the district town (densest cluster).
# At lat 12.448: 1 deg lon = 108.70 km, 1 deg lat = 110.57 km.
CX, CY = 107.615, 12.448
BBOXES = {
    "items_1km2": (CX - 0.0046, CY - 0.00452, CX + 0.0046, CY + 0.00452),
    "items_100km2": (CX - 0.046, CY - 0.0452, CX + 0.046, CY + 0.0452),
}


def bbox_str(b):
    return ",".join(f"{v:.5f}" for v in b)


def pygeoapi_config(port):
    """Write pygeoapi config + openapi doc; returns env for the server."""
    d = os.path.join(ROOT, "pygeoapi")
    os.makedirs(d, exist_ok=True)
    data = f"""
          host: 127.0.0.1
          port: {PGPORT}
          dbname: bench
          user: postgres
          password: ''
          search_path: [public]"""
    res = ""
    for t in ("reports", "parcels"):
        res += f"""
  {t}:
    type: collection
    title: {t}
    description: synthetic {t}
    keywords: [{t}]
    extents:
      spatial:
        bbox: [107.45, 12.30, 107.80, 12.60]
        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
    providers:
      - type: feature
        name: PostgreSQL
        data:{data}
        id_field: id
        table: {t}
        geom_field: geom
      - type: tile
        name: MVT-postgresql
        data:{data}
        id_field: id
        table: {t}
        geom_field: geom
        # NB: no `schemes: [...]` here - in pygeoapi 0.24.0 a list-valued option is
        # forwarded to the cached SQLAlchemy get_engine() and crashes with
        # "TypeError: unhashable type: 'list'" (MVT-postgresql defaults to
        # WebMercatorQuad + WorldCRS84Quad anyway).
        options:
          zoom: {{min: 0, max: 22}}
        format:
          name: pbf
          mimetype: application/vnd.mapbox-vector-tile
"""
    cfg = f"""server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  language: en-US
  cors: false
  pretty_print: false
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: 'OSM'}}
logging:
  level: ERROR
metadata:
  identification:
    title: peerbench
    description: peerbench
    keywords: [bench]
    keywords_type: theme
    terms_of_service: none
    url: http://127.0.0.1
  license: {{name: none, url: http://127.0.0.1}}
  provider: {{name: bench, url: http://127.0.0.1}}
  contact: {{name: bench}}
resources:{res}"""
    cfg_path = os.path.join(d, "pygeoapi-config.yml")
    oa_path = os.path.join(d, "pygeoapi-openapi.yml")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    env = dict(os.environ, PYGEOAPI_CONFIG=cfg_path, PYGEOAPI_OPENAPI=oa_path)
    subprocess.run([os.path.join(ROOT, "venv-pygeoapi/bin/pygeoapi"), "openapi", "generate",
                    cfg_path, "--output-file", oa_path], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return env


def target_def(a):
    if a.target == "tipg":
        port = a.port or 8081
        env = dict(os.environ, DATABASE_URL=DSN, TIPG_DB_SCHEMAS='["public"]')
        return dict(
            name=a.name if a.name != "custom" else "tipg",  # bench/ change
            port=port, env=env,
            cmd=[os.path.join(ROOT, "venv-tipg/bin/uvicorn"), "tipg.main:app", "--host", "127.0.0.1",
                 "--port", str(port), "--workers", str(a.workers), "--log-level", "warning", "--no-access-log",
                 "--timeout-graceful-shutdown", "5"],
            ready="/collections",
            items="/collections/public.reports/items?bbox={bbox}&limit=1000",
            tile="/collections/public.reports/tiles/WebMercatorQuad/{z}/{x}/{y}",
            tile_parcels="/collections/public.parcels/tiles/WebMercatorQuad/{z}/{x}/{y}")
    if a.target == "pygeoapi":
        port = a.port or 8082
        env = pygeoapi_config(port)
        return dict(
            name="pygeoapi", port=port, env=env,
            cmd=[os.path.join(ROOT, "venv-pygeoapi/bin/uvicorn"), "pygeoapi.starlette_app:APP", "--host",
                 "127.0.0.1", "--port", str(port), "--workers", str(a.workers), "--log-level", "warning",
                 "--no-access-log", "--timeout-graceful-shutdown", "5"],
            ready="/collections?f=json",
            items="/collections/reports/items?bbox={bbox}&limit=1000&f=json",
            # OGC API Tiles path is {tileMatrix}/{tileRow}/{tileCol} = z/y/x
            tile="/collections/reports/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt",
            tile_parcels="/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt")
    return dict(name=a.name, port=a.port, env=dict(os.environ), cmd=shlex.split(a.start_cmd),
                ready=a.ready_path, items=a.items_path, tile=a.tile_path, tile_parcels=a.tile_parcels_path)


def tree_rss_mb(pid):
    """RSS (MB) of pid and all its descendants, from /proc."""
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack += kids.get(p, [])
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024.0


CLK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid):
    """CPU seconds (user+sys, incl. reaped children) of pid and its live descendants."""
    if not pid:
        return 0.0
    kids, stats = {}, {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    rest = f.read().rsplit(")", 1)[1].split()
                kids.setdefault(int(rest[1]), []).append(int(p))
                stats[int(p)] = sum(int(x) for x in rest[11:15])  # utime stime cutime cstime
            except (OSError, IndexError, ValueError):
                pass
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack += kids.get(p, [])
        total += stats.get(p, 0)
    return total / CLK


def pg_postmaster_pid():
    try:
        with open(os.path.join(os.environ.get("PB_PGDATA", os.path.join(ROOT, "pg")), "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return 0


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.5)


def run_wrk(port, paths, duration, threads, conns, server_pid=0):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths) + "\n")
        pf = f.name
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "30s",
           "-s", os.path.join(HERE, "multi_url.lua"), f"http://127.0.0.1:{port}", "--", pf]
    pg_pid = pg_postmaster_pid()
    c0 = (tree_cpu_s(server_pid), tree_cpu_s(pg_pid), resource.getrusage(resource.RUSAGE_CHILDREN))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 90).stdout
    c1 = (tree_cpu_s(server_pid), tree_cpu_s(pg_pid), resource.getrusage(resource.RUSAGE_CHILDREN))
    os.unlink(pf)
    line = [l for l in out.splitlines() if l.startswith("WRKJSON ")]
    if not line:
        raise RuntimeError("wrk produced no summary:\n" + out)
    r = json.loads(line[-1][8:])
    non2xx = 0
    for l in out.splitlines():
        if "Non-2xx or 3xx responses" in l:
            non2xx = int(l.split(":")[1])
    r["non2xx"] = non2xx
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["bytes_per_resp"] = r["bytes"] / max(1, r["requests"])
    r["cpu_loadavg1"] = os.getloadavg()[0]
    # CPU accounting over the run: server process tree, PostgreSQL tree, wrk itself
    r["cpu_server_s"] = c1[0] - c0[0]
    r["cpu_pg_s"] = c1[1] - c0[1]
    r["cpu_wrk_s"] = (c1[2].ru_utime + c1[2].ru_stime) - (c0[2].ru_utime + c0[2].ru_stime)
    n = max(1, r["requests"])
    r["cpu_server_ms_per_req"] = 1000 * r["cpu_server_s"] / n
    r["cpu_pg_ms_per_req"] = 1000 * r["cpu_pg_s"] / n
    r["cpu_util_total"] = (r["cpu_server_s"] + r["cpu_pg_s"] + r["cpu_wrk_s"]) / (r["duration_us"] / 1e6)
    return r


def sequential_pass(port, paths, timeout=120):
    """One request per path over one keep-alive connection; returns per-request records.
    A request that exceeds `timeout` is recorded with status 'timeout' (and the
    connection is reopened)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    recs = []
    for p in paths:
        t0 = time.perf_counter()
        try:
            conn.request("GET", p)
            resp = conn.getresponse()
            body = resp.read()
            recs.append(dict(path=p, status=resp.status, bytes=len(body), ms=(time.perf_counter() - t0) * 1000,
                             ctype=resp.getheader("content-type")))
        except (TimeoutError, OSError, http.client.HTTPException) as e:
            recs.append(dict(path=p, status="timeout" if isinstance(e, TimeoutError) else repr(e), bytes=0,
                             ms=(time.perf_counter() - t0) * 1000, ctype=None))
            conn.close()
            kill_leftover_backends()  # do not let the abandoned query slow the next request
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.close()
    return recs


def kill_leftover_backends():
    """Terminate client backends still running in the private bench DB (e.g. a
    tile query the server abandoned). Only touches the private cluster."""
    subprocess.run(["psql", "-X", "-qAt", DSN, "-c",
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname=current_database() "
                    "and pid<>pg_backend_pid() and backend_type='client backend'"],
                   capture_output=True, text=True)


def med(rs, k):
    return statistics.median(r[k] for r in rs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", choices=["tipg", "pygeoapi", "custom"], required=True)
    ap.add_argument("--name", default="custom")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--start-cmd", default="")
    ap.add_argument("--ready-path", default="/")
    ap.add_argument("--items-path", default="")
    ap.add_argument("--tile-path", default="")
    ap.add_argument("--tile-parcels-path", default="")
    ap.add_argument("--tiles-file", default=os.path.join(RESULTS, "tiles.txt"))
    ap.add_argument("--scenarios", default="items_1km2,items_100km2,tiles_reports,tiles_parcels")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--settle", type=float, default=3.0, help="pause (s) before each measured phase")
    ap.add_argument("--seq-repeat", type=int, default=10, help="sequential repeats of a single-URL scenario")
    ap.add_argument("--sample-zooms", default="16")
    ap.add_argument("--sample-per-zoom", type=int, default=3)
    ap.add_argument("--sample-timeout", type=float, default=60)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--conns", type=int, default=16)
    a = ap.parse_args()

    def _term(signum, frame):
        raise SystemExit(f"signal {signum}")
    signal.signal(signal.SIGTERM, _term)
    t = target_def(a)
    tiles = [l.strip().split("/") for l in open(a.tiles_file) if l.strip()]
    log_path = os.path.join(RESULTS, f"server-{t['name']}-w{a.workers}.log")
    log = open(log_path, "w")
    proc = subprocess.Popen(t["cmd"], env=t["env"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    print(f"[{t['name']}] started pid {proc.pid}: {' '.join(t['cmd'])}", flush=True)
    result = dict(target=t["name"], workers=a.workers, cmd=" ".join(t["cmd"]), duration_s=a.duration,
                  reps=a.reps, threads=a.threads, conns=a.conns, started=time.strftime("%Y-%m-%dT%H:%M:%S"),
                  scenarios={})
    sampler = RssSampler(proc.pid)
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited rc={proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{t['port']}{t['ready']}", timeout=10) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if time.time() > deadline:
                raise RuntimeError("server not ready after 120 s")
            time.sleep(1)
        time.sleep(2 if a.workers > 1 else 0)
        result["rss_idle_mb"] = tree_rss_mb(proc.pid)
        sampler.start()

        for sc in a.scenarios.split(","):
            if sc.startswith("items_"):
                if not t["items"]:
                    continue
                paths = [t["items"].format(bbox=bbox_str(BBOXES[sc]))]
            elif sc.startswith("tiles_reports") or sc.startswith("tiles_parcels"):
                tmpl = t["tile"] if sc.startswith("tiles_reports") else t["tile_parcels"]
                if not tmpl:
                    continue
                sc_tiles = tiles
                if sc.endswith("_sample"):  # sequential only, a few tiles per zoom, with timeout
                    zs = a.sample_zooms.split(",")
                    sc_tiles = [tz for z in zs for tz in [tt for tt in tiles if tt[0] == z][:a.sample_per_zoom]]
                paths = [tmpl.format(z=z, x=x, y=y) for z, x, y in sc_tiles]
            else:
                raise SystemExit(f"unknown scenario {sc}")
            entry = dict(paths_sample=paths[:2], n_paths=len(paths))
            # let the server drain requests still queued from the previous wrk run
            # (wrk stops sending, but the server finishes what the 16 connections queued)
            time.sleep(a.settle)
            # sequential pass first (also warms caches), records sizes and statuses;
            # a single-URL scenario is repeated --seq-repeat times (median reported)
            seq_paths = paths * (a.seq_repeat if len(paths) == 1 else 1)
            seq = sequential_pass(t["port"], seq_paths, timeout=a.sample_timeout if sc.endswith("_sample") else 120)
            entry["seq"] = seq if sc.endswith("_sample") else None
            entry["seq_status"] = sorted({str(r["status"]) for r in seq})
            entry["seq_ctype"] = sorted({str(r["ctype"]) for r in seq})
            if sc.startswith("tiles_"):
                per_z = {}
                for (z, _, _), r in zip(sc_tiles, seq):
                    per_z.setdefault(z, []).append(r)
                entry["seq_per_zoom"] = {
                    z: dict(n=len(rs), mean_bytes=statistics.mean(r["bytes"] for r in rs),
                            max_bytes=max(r["bytes"] for r in rs),
                            empty=sum(1 for r in rs if r["bytes"] == 0 or r["status"] == 204),
                            p50_ms=statistics.median(r["ms"] for r in rs),
                            p90_ms=statistics.quantiles([r["ms"] for r in rs], n=10)[-1] if len(rs) > 1 else rs[0]["ms"],
                            max_ms=max(r["ms"] for r in rs))
                    for z, rs in per_z.items()}
            entry["seq_mean_bytes"] = statistics.mean(r["bytes"] for r in seq)
            entry["seq_p50_ms"] = statistics.median(r["ms"] for r in seq)
            if sc.startswith("items_"):
                try:
                    body = urllib.request.urlopen(f"http://127.0.0.1:{t['port']}{paths[0]}", timeout=120).read()
                    d = json.loads(body)
                    entry["numberReturned"] = d.get("numberReturned", len(d.get("features", [])))
                    entry["numberMatched"] = d.get("numberMatched")
                except Exception as e:  # noqa: BLE001
                    entry["parse_error"] = repr(e)
            if sc.endswith("_sample"):
                result["scenarios"][sc] = entry
                for r in seq:
                    print(f"[{t['name']}] {sc} {r['path']}: status {r['status']} {r['bytes']} B {r['ms']:.0f} ms", flush=True)
                kill_leftover_backends()
                continue
            if a.warmup:
                run_wrk(t["port"], paths, a.warmup, a.threads, a.conns)
            runs = []
            for i in range(a.reps):
                time.sleep(a.settle)
                r = run_wrk(t["port"], paths, a.duration, a.threads, a.conns, server_pid=proc.pid)
                runs.append(r)
                print(f"[{t['name']} w{a.workers}] {sc} run {i + 1}: {r['rps']:.1f} req/s "
                      f"p50 {r['lat_p50_us'] / 1000:.1f} ms p99 {r['lat_p99_us'] / 1000:.1f} ms "
                      f"non2xx {r['non2xx']} errs {r['err_timeout'] + r['err_read'] + r['err_connect']} "
                      f"cpu/req server {r['cpu_server_ms_per_req']:.1f} ms pg {r['cpu_pg_ms_per_req']:.1f} ms "
                      f"(total util {r['cpu_util_total']:.2f} cores, wrk {r['cpu_wrk_s']:.1f} s)", flush=True)
            entry["runs"] = runs
            entry["median"] = {k: med(runs, k) for k in
                               ("rps", "lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_mean_us", "bytes_per_resp", "non2xx",
                                "cpu_server_ms_per_req", "cpu_pg_ms_per_req", "cpu_util_total")}
            result["scenarios"][sc] = entry
            print(f"[{t['name']} w{a.workers}] {sc} MEDIAN {entry['median']['rps']:.1f} req/s "
                  f"p50 {entry['median']['lat_p50_us'] / 1000:.1f} ms p99 {entry['median']['lat_p99_us'] / 1000:.1f} ms "
                  f"seq mean bytes {entry['seq_mean_bytes']:.0f}", flush=True)
    finally:
        sampler.stop = True
        result["rss_peak_mb"] = sampler.peak
        pid = proc.pid
        if proc.poll() is None:
            os.kill(pid, signal.SIGTERM)  # uvicorn parent stops its workers
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                proc.wait()
        kill_leftover_backends()
        print(f"[{t['name']}] stopped pid {pid} rc={proc.returncode}", flush=True)
        out = os.path.join(RESULTS, f"http-{t['name']}-w{a.workers}.json")
        with open(out, "w") as f:
            json.dump(result, f, indent=1)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
