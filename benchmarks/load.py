"""A classroom at once: many gradio_client clients drive the app together, mixing every tab.

Launches ``python app.py`` on loopback (or uses ``--url``, with ``--pid`` its process), then
runs ``--rounds`` rounds of ``--seconds`` each in which ``--clients`` clients send requests back
to back, each picking from every tab's endpoints (streaming and not) with its own random
generator. Reports requests served, errors (only clean "queue full" answers are allowed), the
p50/p95 time to the first frame and to the final result per endpoint, the server's resident
memory before, during and after each round, and how the CPU time of each round split between
the server and this load generator (which shares the machine with it). Before the load, one
client alone asks for a reference image; during the second round every client asks for it
again, and all must get byte-identical files.

    python benchmarks/load.py [--clients 32] [--rounds 3] [--seconds 60] [--write]
    python benchmarks/load.py --url http://127.0.0.1:7872/ --pid PID --out FILE   # another app

``--write`` puts the result into docs/serving.md between the load markers.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import against_app, parser, publish  # noqa: E402

# (api, arguments with SEED standing for a per-request seed): small requests, as students send
SEED = object()
MIX = [
    ("/generate_gan", ("mnist", -1, 8, SEED, 1.0)),
    ("/generate_vae", ("fashion", -1, 8, SEED, 1.0)),
    ("/interpolate_gan", ("mnist", 3, 0, 1, 6, 1.0)),
    ("/reconstruct_vae", ("mnist", SEED)),
    ("/latent_map_vae", ("fashion", 2, 5)),
    ("/generate_pixelcnn", ("mnist", 4, 2, SEED, 1.0)),
    ("/complete_pixelcnn", ("fashion", "test", 9, 3, None, 14, 2, SEED, 1.0)),
    ("/generate_transformer", ("mnist", -1, 4, SEED, 1.0, 0, 0.95)),
    ("/round_trip_transformer", ("mnist", "test", 7, 1, None)),
    ("/complete_transformer", ("fashion", "test", 9, 3, None, 3, 2, SEED, 1.0, 0, 0.95)),
    ("/generate_diffusion", ("mnist", -1, 4, SEED, "ddim", 25, 3.0, 1.0, 0.0)),
    ("/compare_steps_diffusion", ("fashion", 7, SEED, "ddim", 3.0, 1.0, 0.0)),
    ("/compare", ("mnist", 3, SEED)),
    ("/scoreboard", ("fashion",)),
]
REFERENCE = ("/generate_diffusion", ("mnist", 3, 4, 1234, "ddim", 10, 3.0, 1.0, 0.0))  # its first output is a PNG
# The clients run on the server's own cores, so every cycle they spend is one the server loses. Two
# choices keep them light: a 50 ms poll for the first frame (not a busy 10 ms loop; the final
# result is timed exactly), and no TLS context per request
# (gradio_client builds one per HTTP client by default, loading the CA bundle each time; the app is
# plain http on loopback, so nothing is verified either way).
POLL_S = 0.05


def client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=False)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and its children have used so far (Linux /proc)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        kids = [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [p for k in kids for p in (k, *_children(k))]


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] if v else float("nan")


def request(client, api: str, args: tuple) -> dict:
    """One request: seconds to the first streamed output and to the final result, or the error."""
    t0 = time.perf_counter()
    first = None
    try:
        job = client.submit(*args, api_name=api)
        while not job.done():  # polled: iterating a job that the queue refused never ends
            if first is None and job.outputs():
                first = time.perf_counter() - t0
            futures.wait([job.future], timeout=POLL_S)  # wakes as soon as the result is in
        result = job.result()
        final = time.perf_counter() - t0
        return {"api": api, "first_s": first if first is not None else final, "final_s": final, "result": result}
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        return {"api": api, "error": str(e) or type(e).__name__}


def reference_bytes(client) -> bytes:
    out = request(client, *REFERENCE)
    if "error" in out:
        raise RuntimeError(f"the reference request failed: {out['error']}")
    return Path(out["result"][0]).read_bytes()


def client_loop(url: str, index: int, until: float, log: list, reference: bytes | None, same: list) -> None:
    """One student: requests back to back until ``until``; with ``reference``, first the
    reference request, recording whether its bytes match."""
    rng = random.Random(index)
    c = client(url)
    try:
        if reference is not None:
            same.append(reference_bytes(c) == reference)
        while time.perf_counter() < until:
            api, args = rng.choice(MIX)
            args = tuple(rng.randrange(1000) if a is SEED else a for a in args)
            out = request(c, api, args)
            out.pop("result", None)
            log.append(out)
    finally:
        c.close()


def run_round(url: str, clients: int, seconds: float, pid: int | None, reference: bytes | None = None) -> dict:
    log, same, peak = [], [], [0.0]
    until = time.perf_counter() + seconds
    done = threading.Event()

    def watch():
        while not done.wait(0.5):
            peak[0] = max(peak[0], rss_mb(pid))

    if pid:
        threading.Thread(target=watch, daemon=True).start()
    cpu0 = (cpu_s(pid) if pid else None, time.process_time())
    threads = [threading.Thread(target=client_loop, args=(url, i, until, log, reference, same)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    server = round(cpu_s(pid) - cpu0[0], 1) if pid else None
    return {"log": log, "same": same, "peak_rss_mb": round(peak[0], 1) if pid else None,
            "cpu_s": {"server": server, "load_generator": round(time.process_time() - cpu0[1], 1)}}


def summary(log: list[dict], queue_size: int) -> dict:
    ok = [r for r in log if "error" not in r]
    errors = [r["error"] for r in log if "error" in r]
    per = {}
    for api in sorted({r["api"] for r in ok}):
        rows = [r for r in ok if r["api"] == api]
        per[api] = {"n": len(rows), "first_p50_s": round(statistics.median(r["first_s"] for r in rows), 3),
                    "first_p95_s": round(percentile([r["first_s"] for r in rows], 0.95), 3),
                    "final_p50_s": round(statistics.median(r["final_s"] for r in rows), 3),
                    "final_p95_s": round(percentile([r["final_s"] for r in rows], 0.95), 3)}
    unclean = [e for e in errors if "queue" not in e.lower()]
    return {"served": len(ok), "errors": len(errors), "unclean_errors": unclean[:10], "queue_size": queue_size,
            "endpoints": per}


def measure(url: str, pid: int | None, clients: int, rounds: int, seconds: float, queue_size: int,
            log=print) -> dict:
    """The whole benchmark against a running app (``pid``: its process, for memory)."""
    c = client(url)
    reference = reference_bytes(c)
    alone = summary([request(c, api, tuple(0 if a is SEED else a for a in args)) for api, args in MIX], queue_size)
    c.close()
    result = {"date": time.strftime("%Y-%m-%d"), "clients": clients, "seconds_per_round": seconds,
              "cpu_cores": len(os.sched_getaffinity(0)), "rss_before_mb": round(rss_mb(pid), 1) if pid else None,
              "alone": alone, "rounds": []}
    logs = []
    for r in range(rounds):
        out = run_round(url, clients, seconds, pid, reference if r == 1 else None)
        logs += out["log"]
        row = {"round": r + 1, **summary(out["log"], queue_size), "peak_rss_mb": out["peak_rss_mb"],
               "cpu_s": out["cpu_s"],
               "rss_after_mb": round(rss_mb(pid), 1) if pid else None}
        if out["same"]:
            row["reference_identical"] = f"{sum(out['same'])}/{len(out['same'])}"
        row.pop("endpoints")
        result["rounds"].append(row)
        log(f"round {r + 1}: {row}")
    result["all_rounds"] = summary(logs, queue_size)
    if pid and rounds >= 3:
        a, b = result["rounds"][1]["rss_after_mb"], result["rounds"][2]["rss_after_mb"]
        result["rss_growth_round2_to_3"] = round((b - a) / a, 4)
    return result


def _mb(value) -> str:
    return "–" if value is None else f"{value:.0f} MB"  # not measured against an app started elsewhere


def _started(r: dict) -> str:
    if r.get("first_page_s") is None:
        return "an app started elsewhere (`--url`), and the cold-start column is each endpoint's first request"
    return (f"`python app.py` answered its first page {r['first_page_s']} s after it started, and the cold-start "
            "column is each endpoint's first request after that")


def _cpu(c: dict) -> str:
    server = "–" if c["server"] is None else f"{c['server']:.0f}"
    return f"{server} / {c['load_generator']:.0f} s"


def markdown(r: dict) -> str:
    lines = ["| round | requests served | errors | peak memory | memory after | CPU: server / load generator "
             "| same reference image |", "|---:|---:|---:|---:|---:|---:|---|"]
    for row in r["rounds"]:
        lines.append(f"| {row['round']} | {row['served']} | {row['errors']} | {_mb(row['peak_rss_mb'])} | "
                     f"{_mb(row['rss_after_mb'])} | {_cpu(row['cpu_s'])} | {row.get('reference_identical', '–')} |")
    lines += ["", "| endpoint | cold start: first frame / final | under load: first frame p50 / p95 | "
                  "final p50 / p95 | requests |", "|---|---:|---:|---:|---:|"]
    for api, e in r["all_rounds"]["endpoints"].items():
        solo = r["alone"]["endpoints"].get(api, {})
        lines.append(f"| `{api}` | {solo.get('first_p50_s', float('nan')):.2f} / {solo.get('final_p50_s', float('nan')):.2f} s | "
                     f"{e['first_p50_s']:.2f} / {e['first_p95_s']:.2f} s | "
                     f"{e['final_p50_s']:.2f} / {e['final_p95_s']:.2f} s | {e['n']} |")
    growth = r.get("rss_growth_round2_to_3")
    lines.append(f"\nMeasured {r['date']}: {r['clients']} clients for {len(r['rounds'])} rounds of "
                 f"{r['seconds_per_round']:.0f} s on {r['cpu_cores']} CPU cores; " + _started(r) +
                 f"; memory {_mb(r['rss_before_mb'])} before the rounds"
                 + (f", {growth:+.1%} from round 2 to round 3" if growth is not None else "") +
                 ". Regenerate with `python benchmarks/load.py --write`.")
    lines.append("\n" + reading(r))
    return "\n".join(lines)


def reading(r: dict) -> str:
    """The figures a teacher asks for, worked out from the tables above."""
    served = sum(row["served"] for row in r["rounds"])
    rate = served / (len(r["rounds"]) * r["seconds_per_round"])
    ends = r["all_rounds"]["endpoints"]
    p50 = statistics.median(e["final_p50_s"] for e in ends.values())
    spread = statistics.median(e["final_p95_s"] / e["final_p50_s"] for e in ends.values())
    fastest = min(ends, key=lambda api: ends[api]["final_p50_s"])
    alone = r["alone"]["endpoints"].values()
    first, final = max(e["first_p50_s"] for e in alone), max(e["final_p50_s"] for e in alone)
    return (f"Read: the machine served {rate:.1f} requests a second of this mix to {r['clients']} clients; "
            f"the typical endpoint's final picture came {p50:.0f} s after the click (p50), and its p95 was "
            f"{spread:.1f}× that; the fastest, `{fastest}`, took {ends[fastest]['final_p50_s']:.2f} s. Alone, "
            f"every endpoint's first picture came within {first:.2f} s of a cold start, and its last within "
            f"{final:.2f} s." + _shares(r))


def _shares(r: dict) -> str:
    """How the cores' time split between the server and the load generator sharing them."""
    if any(row["cpu_s"]["server"] is None for row in r["rounds"]):
        return ""
    budget = r["cpu_cores"] * r["seconds_per_round"] * len(r["rounds"])
    server = sum(row["cpu_s"]["server"] for row in r["rounds"]) / budget
    load = sum(row["cpu_s"]["load_generator"] for row in r["rounds"]) / budget
    return (f" The server used {server:.0%} of the cores' time during the rounds and the load generator, "
            f"which runs on the same cores, {load:.0%}.")


def main() -> None:
    p = parser(__doc__, "load", threads=False)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--url", default=None, help="an app already running (memory and CPU are then not measured)")
    p.add_argument("--pid", type=int, default=None, help="with --url, the app's process: measure its memory and CPU")
    a = p.parse_args()
    from app import QUEUE_SIZE

    result = against_app(a.url, lambda url, pid: measure(url, pid or a.pid, a.clients, a.rounds, a.seconds, QUEUE_SIZE))
    publish(a, result, markdown(result), "load")

if __name__ == "__main__":
    main()
