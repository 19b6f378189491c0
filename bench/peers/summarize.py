# ruff: noqa
# Copied unchanged from ../shared/bench/peers/summarize.py (the team's peer-benchmark harness) so that
# bench/ runs on its own; kept verbatim (hence no lint) to stay diffable against the original.
"""Print markdown tables from $PB_RESULTS/http-*.json and h3.json (stdlib only).
Any target benchmarked with bench_http.py (including our own project, via
--target custom --name ours) shows up as extra rows, side by side."""
import glob
import json
import os

R = os.environ.get("PB_RESULTS", "/tmp/peerbench/results")


def ms(us):
    return f"{us / 1000:.1f}"


def http_tables():
    files = sorted(glob.glob(os.path.join(R, "http-*.json")))
    rows_items, rows_tiles, rows_zoom, rows_sample = [], [], [], []
    for f in files:
        d = json.load(open(f))
        tgt = f"{d['target']} (uvicorn w={d['workers']})"
        for sc, e in d["scenarios"].items():
            if "median" in e:
                m = e["median"]
                cpu = (f"{m['cpu_server_ms_per_req']:.0f} / {m['cpu_pg_ms_per_req']:.0f}"
                       if "cpu_server_ms_per_req" in m else "n/a")
                line = (f"| {tgt} | {sc} | {m['rps']:.1f} | {ms(m['lat_p50_us'])} | {ms(m['lat_p99_us'])} | "
                        f"{e['seq_p50_ms']:.1f} | {e['seq_mean_bytes'] / 1024:.0f} | "
                        f"{min(r['rps'] for r in e['runs']):.1f}–{max(r['rps'] for r in e['runs']):.1f} | "
                        f"{int(m['non2xx'])} | {cpu} |")
                (rows_items if sc.startswith("items") else rows_tiles).append(
                    line + (f" {e.get('numberReturned')}/{e.get('numberMatched')} |" if sc.startswith("items") else ""))
            if "seq_per_zoom" in e and not sc.endswith("_sample"):
                for z, pz in sorted(e["seq_per_zoom"].items(), key=lambda kv: int(kv[0])):
                    rows_zoom.append(f"| {tgt} | {sc} | {z} | {pz['n']} | {pz['mean_bytes'] / 1024:.0f} | "
                                     f"{pz['max_bytes'] / 1024:.0f} | {pz['p50_ms']:.1f} | {pz['p90_ms']:.1f} | {pz['max_ms']:.0f} |")
            if sc.endswith("_sample"):
                for r in e.get("seq", []):
                    rows_sample.append(f"| {tgt} | {r['path']} | {r['status']} | {r['bytes'] / 1024:.0f} | {r['ms']:.0f} |")
        rows_tiles.append(f"| {tgt} | (server RSS idle/peak MB) | {d.get('rss_idle_mb', 0):.0f} / {d.get('rss_peak_mb', 0):.0f} | | | | | | | |")
    print("### HTTP: items by bbox (limit=1000) - wrk, median of runs\n")
    print("| target | scenario | req/s | p50 ms | p99 ms | unloaded p50 ms | KiB/resp | req/s range | non-2xx | CPU ms/req server / PG | returned/matched |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows_items))
    print("\n### HTTP: MVT tiles (200-tile set: 20×z12, 90×z14, 90×z16) - wrk, median of runs\n")
    print("| target | scenario | tiles/s | p50 ms | p99 ms | unloaded p50 ms | mean KiB/tile | tiles/s range | non-2xx | CPU ms/req server / PG |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows_tiles))
    print("\n### Tiles per zoom (sequential pass, one keep-alive connection)\n")
    print("| target | layer | z | n | mean KiB | max KiB | p50 ms | p90 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows_zoom))
    if rows_sample:
        print("\n### Sampled tiles (sequential, with timeout)\n")
        print("| target | path | status | KiB | ms |")
        print("|---|---|---|---|---|")
        print("\n".join(rows_sample))


def h3_tables():
    f = os.path.join(R, "h3.json")
    if not os.path.exists(f):
        return
    d = json.load(open(f))
    print("\n### H3 in Python (1M points, res 9), median of", d["reps"], "\n")
    print("| method | median ms | min–max ms | process RSS peak MB |")
    print("|---|---|---|---|")
    for k in ("i_h3py_scalar_str", "i_h3py_scalar_int", "i_h3py_scalar_int_count", "ii_h3ronpy_cells",
              "ii_h3ronpy_cells_to_numpy", "ii_h3ronpy_cells_count_np_unique",
              "ii_h3ronpy_change_resolution_15_to_9", "ii_numpy_parent_bits_15_to_9"):
        v = d[k]
        print(f"| {k} | {v['median_s'] * 1000:.1f} | {v['min_s'] * 1000:.1f}–{v['max_s'] * 1000:.1f} | {v['rss_peak_mb']:.0f} |")
    print(f"\nchecks: h3ronpy == h3-py at res 9: {d['check_h3ronpy_eq_h3py_res9']:.6f}; "
          f"parent(res15) == direct cell: r7 {d.get('check_parent_of_r15_eq_direct_res7', float('nan')):.4f}, "
          f"r8 {d.get('check_parent_of_r15_eq_direct_res8', float('nan')):.4f}, "
          f"r9 {d['check_parent_of_r15_eq_direct_res9']:.4f}; SQL verify {d['iii_verify']}")
    print(f"\n### PostgreSQL GROUP BY parent of BIGINT res-15 (window rows: {d['window_rows']}), median of {d['reps']}\n")
    print("| res | rows | func ms | inline ms | shift ms | inline serial ms | groups |")
    print("|---|---|---|---|---|---|---|")
    s = d["iii_sql"]
    for r in (7, 8, 9):
        for lab in ("all", "30d"):
            ser = s.get(f"r{r}_{lab}_inline_serial", {}).get("median_ms")
            print(f"| {r} | {lab} | {s[f'r{r}_{lab}_func']['median_ms']:.1f} | {s[f'r{r}_{lab}_inline']['median_ms']:.1f} | "
                  f"{s[f'r{r}_{lab}_shift']['median_ms']:.1f} | {'' if ser is None else f'{ser:.1f}'} | "
                  f"{s[f'r{r}_{lab}_inline']['groups']} |")
    print("\nEXPLAIN r9 all:", " / ".join(d["iii_explain_r9_all_inline"]))
    print("\nEXPLAIN r9 30d:", " / ".join(d["iii_explain_r9_30d_inline"]))
    print("\n### PostGIS ST_HexagonGrid join (hexagons with H3-res-equivalent area), median of", d["reps"], "\n")
    print("| ~res | rows | median ms | min–max ms | groups |")
    print("|---|---|---|---|---|")
    for k, v in d["iv_hexgrid"].items():
        print(f"| {k.split('_')[0]} | {k.split('_')[1]} | {v['median_ms']:.0f} | {v['min_ms']:.0f}–{v['max_ms']:.0f} | {v['groups']} |")
    if "v_rollup" in d:
        print(f"\n### Reference: monthly rollup table (res-9 prefix × month, {d['v_rollup_rows']} rows, "
              f"built in {d['v_rollup_build_ms']:.0f} ms)\n")
        print("| res | median ms | groups |")
        print("|---|---|---|")
        for k, v in d["v_rollup"].items():
            print(f"| {k} | {v['median_ms']:.1f} | {v['groups']} |")
    print(f"\nload 1M points to Python: {d['load_points_s']:.2f} s; peak RSS of the H3 bench process: "
          f"{d['peak_rss_process_mb']:.0f} MB; versions {d['versions']}; PG settings {d['pg_settings']}")


if __name__ == "__main__":
    m = os.path.join(R, "machine.txt")
    if os.path.exists(m):
        print("```\n" + open(m).read().strip() + "\n```\n")
    http_tables()
    h3_tables()
