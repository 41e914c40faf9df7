"""A class of thirty on one machine: students exploring every family, then all opening one link.

Launches ``python app.py`` on loopback (or uses ``--url`` with ``--pid``) and drives it with lean
REST clients: each student is a thread that posts to the app's REST API (``/gradio_api/call``)
and blocks on the answer's event stream (no polling), fetching every picture the answer names,
as a browser does. Two scenarios:

- **explore**: ``--students`` students each press a random family's main button with a fresh
  seed (16 images, the family's default options), wait for the answer, then think 5-15 s; for
  ``--seconds``.
- **link**: all students open one link at the same moment (the teacher's Diffusion link: the
  same request, ``--link-repeats`` times with a fresh seed each time).

It reports per endpoint the p50 / p95 of the time to the first picture and to the final one, the
errors, the CPU time of the server and of this load generator (both from /proc), how busy the
server kept the cores while work was queued, the server's peak resident memory (with its worker
processes) and the result cache's size. Afterwards a fresh app computes a sample of the requests
alone (``--same``), and their final pictures must have the same bytes as under load.

    python benchmarks/classroom.py [--students 30] [--seconds 120] [--write]

``--write`` puts the tables into docs/serving.md between the classroom markers; ``--table-only
FILE --marker M`` writes a saved result's tables there (e.g. the app before, between
classroom-before).
"""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import against_app, launch_app, parser, publish, write_table  # noqa: E402
from benchmarks.clients import App, Watch  # noqa: E402
from benchmarks.load import percentile, rss_mb  # noqa: E402

MAIN_PREFIX = "generate_"  # a family's main button: its endpoint /generate_<family> (former names are left out)
LINK = ("/generate_diffusion", {"dataset": "mnist", "label": 3, "n": 16, "seed": 1234})  # the teacher's link
THINK_S = (5.0, 15.0)
TARGET_S, QUICK_TARGET_S = 2.0, 0.5


def main_buttons(info: dict) -> dict[str, list]:
    """Each family's main endpoint -> its default arguments with 16 images (from the API's own
    description, so a new family is measured without being named here)."""
    out = {}
    for api, about in info.items():
        if api.lstrip("/").startswith(MAIN_PREFIX):
            params = {p["parameter_name"]: p.get("parameter_default") for p in about["parameters"]}
            if {"n", "seed"} <= set(params):
                out[api] = [16 if k == "n" else v for k, v in params.items()]
    return out


def warm(app: App, mains: dict) -> None:
    """Every main button pressed twice, three at a time: the app's workers have started and
    loaded their models (a start is not a student's wait)."""
    for _ in range(2):
        run_threads(lambda i: [app.call(api, mains[api]) for api in sorted(mains)[i::3]], 3)


def args_for(info: dict, api: str, values: dict) -> list:
    return [values.get(p["parameter_name"], p.get("parameter_default")) for p in info[api]["parameters"]]


def explore(app: App, mains: dict, students: int, seconds: float, seed: int = 0) -> list[dict]:
    log, until = [], time.perf_counter() + seconds
    seed_at = {api: [p["parameter_name"] for p in app.info()[api]["parameters"]].index("seed") for api in mains}

    def student(i: int):
        rng = random.Random(seed * 1000 + i)
        time.sleep(rng.uniform(0, THINK_S[1]))  # the class does not start in one instant
        while time.perf_counter() < until:
            api = rng.choice(sorted(mains))
            data = list(mains[api])
            data[seed_at[api]] = rng.randrange(2**31)
            log.append(app.call(api, data))
            time.sleep(rng.uniform(*THINK_S))

    run_threads(student, students)
    return log


def link(app: App, info: dict, students: int, seed: int) -> list[dict]:
    api, values = LINK
    data = args_for(info, api, {**values, "seed": seed})
    barrier, log = threading.Barrier(students), []

    def student(_):
        barrier.wait()
        log.append(app.call(api, data))

    run_threads(student, students)
    return log


def run_threads(fn, count: int) -> None:
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def summary(log: list[dict]) -> dict:
    ok = [r for r in log if "error" not in r]
    per = {}
    for api in sorted({r["api"] for r in ok}):
        rows = [r for r in ok if r["api"] == api]
        first, final = [r["first_s"] for r in rows], [r["final_s"] for r in rows]
        per[api] = {"n": len(rows), "first_p50_s": round(statistics.median(first), 3),
                    "first_p95_s": round(percentile(first, 0.95), 3),
                    "final_p50_s": round(statistics.median(final), 3),
                    "final_p95_s": round(percentile(final, 0.95), 3)}
    finals = [r["final_s"] for r in ok]
    return {"served": len(ok), "errors": len(log) - len(ok),
            "error_samples": sorted({r["error"] for r in log if "error" in r})[:5],
            "final_p50_s": round(statistics.median(finals), 3) if finals else None,
            "final_p95_s": round(percentile(finals, 0.95), 3) if finals else None,
            "distinct_answers": len({r["sha256"] for r in ok}), "endpoints": per}


def cache_stats(app: App, info: dict) -> dict | None:
    """The app's result cache (entries, MB, hits), where the app reports it."""
    out = app.call("/cache_stats", [])
    return None if "error" in out else out["answer"][0]


def same_alone(log: list[dict], per_endpoint: int) -> dict:
    """A fresh app computes a sample of the requests alone: do their final pictures have the
    bytes they had under load?"""
    sample, taken = [], {}
    for r in log:
        if "error" not in r and taken.get(r["api"], 0) < per_endpoint:
            taken[r["api"]] = taken.get(r["api"], 0) + 1
            sample.append(r)
    proc, url, _ = launch_app()
    try:
        app = App(url)
        same = [app.call(r["api"], r["data"]).get("sha256") == r["sha256"] for r in sample]
    finally:
        proc.terminate()
        proc.wait()
    return {"checked": len(same), "identical": sum(same)}


def measure(url: str, pid: int | None, students: int, seconds: float, repeats: int, log=print) -> dict:
    app = App(url)
    info = app.info()
    mains = main_buttons(info)
    result = {"date": time.strftime("%Y-%m-%d"), "students": students, "seconds": seconds,
              "think_s": list(THINK_S), "cpu_cores": len(os.sched_getaffinity(0)),
              "rss_before_mb": round(rss_mb(pid), 1) if pid else None, "endpoints": sorted(mains)}
    warm(app, mains)
    watch = Watch(pid)
    explored = explore(app, mains, students, seconds)
    result["explore"] = {**summary(explored), **watch.stop()}
    log(f"explore: {json.dumps({k: v for k, v in result['explore'].items() if k != 'endpoints'})}")
    links = []
    for k in range(repeats):
        watch = Watch(pid)
        opened = link(app, info, students, seed=1000 + k)
        links.append({**summary(opened), **watch.stop()})
        log(f"link {k + 1}: {json.dumps({k: v for k, v in links[-1].items() if k != 'endpoints'})}")
    result["link"] = links
    result["cache"] = cache_stats(app, info)
    result["rss_after_mb"] = round(rss_mb(pid), 1) if pid else None
    result["_log"] = [{k: v for k, v in r.items() if k != "answer"} for r in explored]
    return result


def markdown(r: dict) -> str:
    e = r["explore"]
    lines = [f"**{r['students']} students exploring** for {r['seconds']:.0f} s (a random family's main button, "
             f"16 images, a fresh seed, then {r['think_s'][0]:.0f}-{r['think_s'][1]:.0f} s of thought):", "",
             "| endpoint | clicks | first picture p50 / p95 | final picture p50 / p95 |", "|---|---:|---:|---:|"]
    for api, s in e["endpoints"].items():
        lines.append(f"| `{api}` | {s['n']} | {s['first_p50_s']:.2f} / {s['first_p95_s']:.2f} s | "
                     f"{s['final_p50_s']:.2f} / {s['final_p95_s']:.2f} s |")
    linked = next(iter(r["link"][0].get("endpoints") or {}), LINK[0]) if r["link"] else LINK[0]  # as measured
    lines += ["", f"**{r['students']} students opening one link at once** (`{linked}`, 16 images; each time a "
              "new seed):", "", "| time | served | errors | final p50 / p95 | different answers | server CPU |",
              "|---:|---:|---:|---:|---:|---:|"]
    for k, s in enumerate(r["link"], 1):
        lines.append(f"| {k} | {s['served']} | {s['errors']} | {s['final_p50_s']:.2f} / {s['final_p95_s']:.2f} s | "
                     f"{s['distinct_answers']} | {_num(s['server_cpu_s'], ' s')} |")
    cache = r.get("cache") or {}
    same = r.get("same_alone") or {}
    lines += ["", targets(r)]
    lines += ["", f"Exploring: {e['served']} clicks, {e['errors']} errors; the server kept "
              f"{_num(e['server_cores_busy'])} of {r['cpu_cores']} cores busy and the load generator used "
              f"{e['load_generator_share']:.1%} of the machine; peak memory {_num(e['peak_rss_mb'], ' MB')} "
              f"(before: {_num(r['rss_before_mb'], ' MB')}, after both scenarios: {_num(r['rss_after_mb'], ' MB')})"
              + (f"; the result cache held {cache['entries']} answers in {cache['mb']:.1f} MB of its "
                 f"{cache['limit_mb']:.0f} MB" if cache else "")
              + (f". Computed again alone by a fresh app, {same['identical']} of {same['checked']} sampled answers "
                 "had the same bytes" if same else "") +
              f". Measured {r['date']} on {r['cpu_cores']} cores; `python benchmarks/classroom.py --write`."]
    return "\n".join(lines)


def targets(r: dict) -> str:
    """The targets, read off the tables: every family's click within ``TARGET_S`` at p95, the quick
    families' within ``QUICK_TARGET_S``, the link's opens within ``TARGET_S``."""
    from genimg.ui.handlers import QUICK, cost

    ends = r["explore"]["endpoints"]
    slowest = max(ends, key=lambda api: ends[api]["final_p95_s"])
    quick = [api for api in ends if cost(api.rsplit("_", 1)[-1]) == QUICK]
    slow_quick = max(quick, key=lambda api: ends[api]["final_p95_s"]) if quick else None
    link = max(s["final_p95_s"] or 0 for s in r["link"]) if r["link"] else None
    said = [f"every family's click within {TARGET_S:g} s at p95: **{'met' if ends[slowest]['final_p95_s'] <= TARGET_S else 'not met'}** "
            f"(the slowest, `{slowest}`, {ends[slowest]['final_p95_s']:.2f} s)"]
    if slow_quick:
        said.append(f"the quick families' within {QUICK_TARGET_S:g} s: **"
                    f"{'met' if ends[slow_quick]['final_p95_s'] <= QUICK_TARGET_S else 'not met'}** (the slowest, "
                    f"`{slow_quick}`, {ends[slow_quick]['final_p95_s']:.2f} s)")
    if link is not None:
        said.append(f"a link opened by all within {TARGET_S:g} s at p95: **{'met' if link <= TARGET_S else 'not met'}** "
                    f"({link:.2f} s at worst)")
    return "Targets: " + "; ".join(said) + "."


def _num(value, unit: str = "") -> str:
    return "–" if value is None else f"{value:g}{unit}"


def main() -> None:
    p = parser(__doc__, "classroom", threads=False)
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--link-repeats", type=int, default=2)
    p.add_argument("--same", type=int, default=1, help="answers per endpoint computed again alone by a fresh app")
    p.add_argument("--url", default=None, help="an app already running")
    p.add_argument("--pid", type=int, default=None, help="with --url, the app's process: its memory and CPU")
    p.add_argument("--table-only", default=None, help="a saved result: write its tables, measure nothing")
    p.add_argument("--marker", default="classroom")
    a = p.parse_args()
    if a.table_only:
        saved = json.loads(Path(a.table_only).read_text())
        write_table(a.marker, markdown(saved))
        if a.marker == "classroom":
            write_table("classroom-targets", targets(saved) + f" ({saved['date']})")
        return
    result = against_app(a.url, lambda url, pid: measure(url, pid or a.pid, a.students, a.seconds, a.link_repeats))
    explored = result.pop("_log")
    if a.same:
        result["same_alone"] = same_alone(explored, a.same)
    publish(a, result, markdown(result), a.marker)
    if a.write and a.marker == "classroom":
        write_table("classroom-targets", targets(result) + f" ({result['date']})")


if __name__ == "__main__":
    main()
