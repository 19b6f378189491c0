"""Markdown tables for the vector-tile run of bench/tiles_peers.sh (stdlib only).

Reads the $PB_RESULTS/http-<target>-w2.json files written by bench/peers/bench_http.py
(targets of bench/tiles_peers.sh) and prints ratios against tipg and the product targets.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = Path(os.environ.get("PB_RESULTS", "/tmp/peerbench/results"))
TARGET_RATIO = 1.5


def load(name: str) -> dict | None:
    path = RESULTS / f"http-{name}-w2.json"
    return json.loads(path.read_text()) if path.exists() else None


def median(entry: dict, key: str) -> float:
    return float(entry["median"][key])


def seq_sizes(entry: dict) -> tuple[float, float]:
    """(mean KiB, max KiB) over the sequential pass of the 200 tiles."""
    per_zoom = entry.get("seq_per_zoom") or {}
    mx = max((z["max_bytes"] for z in per_zoom.values()), default=0)
    return entry["seq_mean_bytes"] / 1024, mx / 1024


def equal_work_rows(tipg: dict | None, ours: dict | None, scenarios: tuple[str, ...]) -> None:
    print("| scenario | tipg req/s | ours req/s | ratio (≥ 1.5) | tipg p99 ms | ours p99 ms | p99 no worse "
          "| tipg mean KiB | ours mean KiB | MiB/s served tipg / ours | CPU ms/req server+PG tipg / ours "
          "| non-2xx tipg / ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for sc in scenarios:
        t, o = (tipg or {}).get("scenarios", {}).get(sc), (ours or {}).get("scenarios", {}).get(sc)
        if not t or not o or "median" not in t or "median" not in o:
            tipg_rps = f"{median(t, 'rps'):.1f}" if t and "median" in t else "n/a"
            print(f"| {sc} | {tipg_rps} | not measured | | | | | | | | | |")
            continue
        ratio = median(o, "rps") / median(t, "rps")
        p99t, p99o = median(t, "lat_p99_us") / 1000, median(o, "lat_p99_us") / 1000
        cpu_t = median(t, "cpu_server_ms_per_req") + median(t, "cpu_pg_ms_per_req")
        cpu_o = median(o, "cpu_server_ms_per_req") + median(o, "cpu_pg_ms_per_req")
        ratio_ok = "✓" if ratio >= TARGET_RATIO else "✗"
        p99_ok = "✓" if p99o <= p99t else "✗"
        kib_t, kib_o = t["seq_mean_bytes"] / 1024, o["seq_mean_bytes"] / 1024
        # bytes over the wrk runs: how much tile data each server delivered per second
        mib_t = median(t, "rps") * median(t, "bytes_per_resp") / 2**20
        mib_o = median(o, "rps") * median(o, "bytes_per_resp") / 2**20
        print(f"| {sc} | {median(t, 'rps'):.1f} | {median(o, 'rps'):.1f} | **{ratio:.2f}×** {ratio_ok} "
              f"| {p99t:.0f} | {p99o:.0f} | {p99_ok} | {kib_t:.0f} | {kib_o:.0f} | {mib_t:.1f} / {mib_o:.1f} "
              f"| {cpu_t:.1f} / {cpu_o:.1f} "
              f"| {int(median(t, 'non2xx'))} / {int(median(o, 'non2xx'))} |")


def main() -> None:
    names = ("tipg", "ours-full", "tipg-complete", "ours-full-complete", "ours-product", "ours-cached")
    runs = {n: load(n) for n in names}
    tipg, full, product, cached = runs["tipg"], runs["ours-full"], runs["ours-product"], runs["ours-cached"]
    machine = RESULTS / "tiles_machine.txt"
    extra = [RESULTS / "tiles_loadavg.txt", RESULTS / "tiles_complete.log"]
    text = "\n".join(p.read_text().strip() for p in (machine, *extra) if p.exists())
    if text:
        print("```\n" + text + "\n```\n")

    print("### Full-detail tiles and items: tipg vs ours (`?detail=full`, tile cache off), all 200 tiles\n")
    equal_work_rows(tipg, full, ("tiles_reports", "tiles_parcels", "items_1km2", "items_100km2"))
    print("\n### Exactly equal work: only the tiles where tipg serves every feature\n")
    equal_work_rows(runs["tipg-complete"], runs["ours-full-complete"], ("tiles_reports", "tiles_parcels"))

    print("\n### Product tiles (what the web map draws): thinned points, popup attributes\n")
    print("| layer | variant | tiles/s | vs tipg | p50 ms | p99 ms | mean KiB | max KiB "
          "| CPU ms/req server / PG | targets |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for sc in ("tiles_reports", "tiles_parcels"):
        t = (tipg or {}).get("scenarios", {}).get(sc)
        for label, run, goal in (("uncached", product, 250), ("repeat (cache)", cached, 1000)):
            e = (run or {}).get("scenarios", {}).get(sc)
            if not e or "median" not in e:
                print(f"| {sc} | {label} | not measured | | | | | | | |")
                continue
            mean_kib, max_kib = seq_sizes(e)
            rps = median(e, "rps")
            vs = f"{rps / median(t, 'rps'):.2f}×" if t and "median" in t else ""
            ok = [f"{'✓' if rps >= goal else '✗'} ≥ {goal}/s"]
            if sc == "tiles_reports":
                ok += [f"{'✓' if mean_kib <= 64 else '✗'} mean ≤ 64 KiB",
                       f"{'✓' if max_kib <= 500 else '✗'} max ≤ 500 KiB"]
            print(f"| {sc} | {label} | {rps:.1f} | {vs} | {median(e, 'lat_p50_us') / 1000:.1f} "
                  f"| {median(e, 'lat_p99_us') / 1000:.1f} | {mean_kib:.1f} | {max_kib:.0f} "
                  f"| {median(e, 'cpu_server_ms_per_req'):.1f} / {median(e, 'cpu_pg_ms_per_req'):.1f} "
                  f"| {', '.join(ok)} |")

    print("\n### Per zoom (sequential pass over the 200 tiles, one connection)\n")
    print("| target | layer | z | n | mean KiB | max KiB | p50 ms | p90 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ("tipg", "ours-full", "ours-product"):
        for sc, e in sorted((runs[name] or {}).get("scenarios", {}).items()):
            for z, pz in sorted((e.get("seq_per_zoom") or {}).items(), key=lambda kv: int(kv[0])):
                kib, max_kib = pz["mean_bytes"] / 1024, pz["max_bytes"] / 1024
                print(f"| {name} | {sc.removeprefix('tiles_')} | {z} | {pz['n']} | {kib:.0f} | {max_kib:.0f} "
                      f"| {pz['p50_ms']:.1f} | {pz['p90_ms']:.1f} | {pz['max_ms']:.0f} |")

    print("\n### Runs (req/s of each wrk run)\n")
    for name, run in runs.items():
        for sc, e in sorted((run or {}).get("scenarios", {}).items()):
            if "runs" in e:
                rps = ", ".join(f"{r['rps']:.1f}" for r in e["runs"])
                p99 = ", ".join(f"{r['lat_p99_us'] / 1000:.0f}" for r in e["runs"])
                loadavg = ", ".join(f"{r['cpu_loadavg1']:.1f}" for r in e["runs"])
                print(f"- {name} {sc}: {rps} req/s (p99 ms: {p99}; machine load average: {loadavg})")


if __name__ == "__main__":
    main()
