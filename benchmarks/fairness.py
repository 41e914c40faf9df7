"""Fast stays fast: while slow requests keep the app busy, how long does a quick click wait?

Launches ``python app.py`` on loopback (or uses ``--url``). ``--slow`` clients (default 6) send
slow requests back to back: 25-step DDIM diffusion of 4 images and PixelCNN painting of 2, or
with ``--heavy`` 250-step diffusion of 8 images (near the most one click may ask). One more
client clicks GAN and VAE (16 images each) every half second. After ``--seconds`` it reports
each endpoint's requests and the p50 / p95 of its final result (none may starve), the quick
clicks' p95 against the 0.5 s target, how busy the server kept the cores, and whether GAN
images asked for under load have the bytes a fresh app gives alone.

    python benchmarks/fairness.py [--slow 6] [--seconds 60] [--heavy] [--write]

``--write`` puts the result into docs/serving.md between the fairness markers (``--heavy`` between
the fairness-heavy ones).
"""
from __future__ import annotations

import hashlib
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import against_app, parser, publish  # noqa: E402
from benchmarks.load import SEED, percentile, request  # noqa: E402
from benchmarks.load import client as load_client  # noqa: E402

SLOW = [("/generate_diffusion", ("mnist", -1, 4, SEED, "ddim", 25, 3.0, 1.0, 0.0)),
        ("/generate_pixelcnn", ("mnist", 4, 2, SEED, 1.0))]
HEAVY = [("/generate_diffusion", ("mnist", -1, 8, SEED, "ddim", 250, 3.0, 0.8, 0.2))]  # near the most one click may ask
QUICK = [("/generate_gan", ("mnist", -1, 16, SEED, 1.0)), ("/generate_vae", ("mnist", -1, 16, SEED, 1.0))]
SAME = ("/generate_gan", ("fashion", 3, 16, 1234, 1.0))  # asked alone, then under load
TARGET_S = 0.5  # the quick clicks' p95 under load


def worker(url: str, mix: list, until: float, log: list, seed: int, pause_s: float = 0.0,
           same: list | None = None) -> None:
    """One client: requests from ``mix`` until ``until``, ``pause_s`` apart; with ``same`` (a
    list), also asks for ``SAME`` with three new seeds and records (arguments, bytes) there, for
    a fresh app to compute alone afterwards (the running app has these answers cached)."""
    rng = random.Random(seed)
    client = load_client(url)
    try:
        while time.perf_counter() < until:
            api, args = rng.choice(mix)
            out = request(client, api, tuple(rng.randrange(1000) if a is SEED else a for a in args))
            out.pop("result", None)
            log.append(out)
            if same is not None and len(same) < 3:
                args = (*SAME[1][:3], SAME[1][3] + len(same), *SAME[1][4:])
                again = request(client, SAME[0], args)
                if "error" not in again:
                    same.append((args, Path(again["result"][0]).read_bytes()))
            time.sleep(pause_s)
    finally:
        client.close()


def same_alone(same: list) -> str:
    """How many of the answers under load a fresh app gives with the same bytes alone."""
    from benchmarks.classroom import same_alone as alone

    checked = alone([{"api": SAME[0], "data": list(args), "sha256": hashlib.sha256(got).hexdigest()}
                     for args, got in same], per_endpoint=len(same))
    return f"{checked['identical']}/{checked['checked']}"


def measure(url: str, pid: int | None, slow: int, seconds: float, heavy: bool) -> dict:
    from benchmarks.classroom import Watch

    client = load_client(url)
    alone = {api: request(client, api, tuple(0 if a is SEED else a for a in args))["final_s"] for api, args in QUICK}
    client.close()
    log, same = [], []
    watch = Watch(pid)
    until = time.perf_counter() + seconds
    threads = [threading.Thread(target=worker, args=(url, HEAVY if heavy else SLOW, until, log, i)) for i in range(slow)]
    for t in threads:
        t.start()
    time.sleep(min(5.0, seconds / 4))  # the slow requests are queued and running before the first click
    probe = threading.Thread(target=worker, args=(url, QUICK, until, log, 999, 0.5, same))
    probe.start()
    for t in [*threads, probe]:
        t.join()
    cpu = watch.stop()
    per = {}
    for api in sorted({r["api"] for r in log}):
        done = [r["final_s"] for r in log if r["api"] == api and "error" not in r]
        per[api] = {"n": len(done), "errors": sum(1 for r in log if r["api"] == api and "error" in r),
                    "p50_s": round(percentile(done, 0.5), 3), "p95_s": round(percentile(done, 0.95), 3)}
    quick = [r["final_s"] for r in log if r["api"] in dict(QUICK) and "error" not in r]
    return {"date": time.strftime("%Y-%m-%d"), "slow_clients": slow, "heavy": heavy, "seconds": seconds,
            "alone_s": {k: round(v, 3) for k, v in alone.items()}, "endpoints": per,
            "quick_p95_s": round(percentile(quick, 0.95), 3), "cpu": cpu, "_same": same}


def markdown(r: dict) -> str:
    lines = ["| endpoint | requests | final p50 | final p95 | alone |", "|---|---:|---:|---:|---:|"]
    for api, e in r["endpoints"].items():
        solo = r["alone_s"].get(api)
        lines.append(f"| `{api}` | {e['n']} | {e['p50_s']:.2f} s | {e['p95_s']:.2f} s | "
                     f"{'–' if solo is None else f'{solo:.2f} s'} |")
    kind = "250-step diffusion of 8 images" if r["heavy"] else "25-step diffusion of 4 images and PixelCNN painting of 2"
    lines.append(f"\nMeasured {r['date']}: {r['slow_clients']} clients sending {kind} back to back for "
                 f"{r['seconds']:.0f} s while one more clicks GAN and VAE (16 images) every half second. The "
                 f"quick clicks' p95: **{r['quick_p95_s']:.2f} s** (target {TARGET_S:.1f} s); GAN answers under "
                 f"load had the bytes a fresh app gives alone {r['same_bytes_under_load']} times. The server kept "
                 f"{r['cpu']['server_cores_busy']} cores busy (the load generator used "
                 f"{r['cpu']['load_generator_share']:.1%} of the machine). Regenerate with "
                 f"`python benchmarks/fairness.py{' --heavy' if r['heavy'] else ''} --write`.")
    return "\n".join(lines)


def main() -> None:
    p = parser(__doc__, "fairness", threads=False)
    p.add_argument("--slow", type=int, default=6)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--heavy", action="store_true")
    p.add_argument("--url", default=None, help="an app already running")
    a = p.parse_args()
    if a.heavy and a.out == p.get_default("out"):
        a.out = a.out.replace("fairness.json", "fairness_heavy.json")
    result = against_app(a.url, lambda url, pid: measure(url, pid, a.slow, a.seconds, a.heavy))
    result["same_bytes_under_load"] = same_alone(result.pop("_same"))
    publish(a, result, markdown(result), "fairness-heavy" if a.heavy else "fairness")

if __name__ == "__main__":
    main()
