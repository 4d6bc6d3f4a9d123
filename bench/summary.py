#!/usr/bin/env python3
"""Summary table of a bench/run.sh run (Markdown on stdout, JSON to a file).

The JSON has the shape of the peer benchmark's summary.json (rows of endpoint,
conc, rps, p50_ms, p99_ms, errors, req_per_cpu_s) plus the memory figures.
"""

import json
import os
import sys
from collections import OrderedDict

IDLE_RSS_GOAL_MIB = 30

(runs, clk, label, base, token_info, rss_start, rss_login, rss_idle, rss_end, rss_peak,
 server_cpus, load_cpus, repeat, duration, json_out) = sys.argv[1:16]
clk = int(clk)
mib = lambda kib: int(kib) / 1024
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


groups = OrderedDict()
loads = []
for line in open(runs):
    endpoint, conc, ticks, path, loadavg = line.rstrip("\n").split("\t")
    d = json.load(open(path))
    n = d["requests"]
    errors = sum(d[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
    cpu_s = int(ticks) / clk
    loads.append(float(loadavg))
    groups.setdefault((endpoint, conc), []).append(dict(
        rps=n / (d["duration_us"] / 1e6), p50=d["lat_p50_us"] / 1e3, p99=d["lat_p99_us"] / 1e3,
        errors=errors, eff=(n / cpu_s if cpu_s > 0 else None),
        chain=(d["refresh_rotated"], d["refresh_reused"], d["refresh_broken"], d["refresh_starved"]),
    ))

print(f"### {label} @ {base}  ({os.cpu_count()} cores, {cpu}; server CPUs [{server_cpus}], "
      f"load CPUs [{load_cpus}], wrk, {repeat} x {duration}s per row)")
print(f"client_credentials: {token_info}; 1-min loadavg at run ends "
      f"{min(loads, default=0):.1f}-{max(loads, default=0):.1f} (other work shares the cores)")
print()
print("| endpoint | conn | req/s | req per server CPU-s | p50 ms | p99 ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
rows = []
notes = []
for (endpoint, conc), rs in groups.items():
    m = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
    effs = [r["eff"] for r in rs if r["eff"]]
    eff = median(effs) if effs else None
    errors = sum(r["errors"] for r in rs)
    print(f"| {endpoint} | {conc} | {m['rps']:.0f} | {eff:.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {errors} |"
          if eff else f"| {endpoint} | {conc} | {m['rps']:.0f} | - | {m['p50']:.2f} | {m['p99']:.2f} | {errors} |")
    rows.append(dict(endpoint=endpoint, conc=int(conc), rps=m["rps"], p50_ms=m["p50"], p99_ms=m["p99"],
                     errors=errors, req_per_cpu_s=eff))
    if endpoint == "refresh_token":
        rotated, reused, broken, starved = (sum(r["chain"][i] for r in rs) for i in range(4))
        notes.append(f"refresh_token c={conc}: {rotated} rotations, {reused} non-rotating reuses, "
                     f"{broken} failed responses, {starved} requests without a token")
print()
for note in notes:
    print(note)
idle = mib(rss_idle)
verdict = ("met" if idle <= IDLE_RSS_GOAL_MIB else "MISSED") if label == "pforte" else "Pforte's goal"
print(f"RSS: {mib(rss_start):.1f} MiB after start-up, {mib(rss_login):.1f} MiB after the scripted logins, "
      f"{idle:.1f} MiB idle after warm-up "
      f"(goal <= {IDLE_RSS_GOAL_MIB} MiB: {verdict}), {mib(rss_end):.1f} MiB idle after the runs, "
      f"peak {mib(rss_peak):.1f} MiB")
json.dump(dict(label=label, base_url=base, token=token_info, loadavg_max=max(loads, default=0),
               rss_start_mib=mib(rss_start), rss_login_mib=mib(rss_login), rss_idle_mib=idle, rss_end_mib=mib(rss_end),
               peak_rss_mib=mib(rss_peak), rows=rows), open(json_out, "w"), indent=1)
