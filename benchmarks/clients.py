"""Lean clients of the app's REST API, and the server's CPU and memory as they load it: what the
serving benchmarks (classroom.py, soak.py, fairness.py) share. A client is a thread that posts a
request and blocks on its event stream (no polling), fetching every picture it is sent, as a
browser does, so the load generator costs the machine little of what it measures."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.load import cpu_s, rss_mb


class App:
    """The app's REST API on loopback, through one plain HTTP connection per call."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def _conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=300)

    def get(self, path: str) -> bytes:
        c = self._conn()
        try:
            c.request("GET", path)
            return c.getresponse().read()
        finally:
            c.close()

    def info(self) -> dict:
        return json.loads(self.get("/gradio_api/info"))["named_endpoints"]

    def call(self, api: str, data: list) -> dict:
        """One request: seconds to the first picture and to the final answer, the sha256 of the
        final answer's first picture, the bytes fetched; or the error."""
        t0 = time.perf_counter()
        at = time.time()
        c = self._conn()
        try:
            c.request("POST", f"/gradio_api/call{api}", json.dumps({"data": data}),
                      {"content-type": "application/json"})
            event_id = json.loads(c.getresponse().read())["event_id"]
            c.request("GET", f"/gradio_api/call{api}/{event_id}")
            stream = c.getresponse()
            first, seen, fetched, event = None, set(), 0, None
            for raw in stream:  # blocks until the server writes the next line
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event in ("generating", "complete"):
                    urls = [u for u in _urls(json.loads(line[6:])) if u not in seen]
                    for u in urls:  # a browser shows every picture it is sent
                        seen.add(u)
                        fetched += len(self.get(urlsplit(u).path))
                    if urls and first is None:
                        first = time.perf_counter() - t0
                    if event == "complete":
                        final = time.perf_counter() - t0
                        picture = next(iter(_urls(json.loads(line[6:]))), None)
                        digest = hashlib.sha256(self.get(urlsplit(picture).path)).hexdigest() if picture else None
                        return {"api": api, "first_s": first or final, "final_s": final, "sha256": digest,
                                "bytes": fetched, "data": data, "at": at, "answer": json.loads(line[6:])}
                elif line.startswith("data: ") and event == "error":
                    return {"api": api, "error": line[6:][:200]}
            return {"api": api, "error": "the stream ended without an answer"}
        except (OSError, ValueError, KeyError) as e:
            return {"api": api, "error": f"{type(e).__name__}: {e}"}
        finally:
            c.close()


def _urls(value) -> list[str]:
    """The picture URLs in an answer's data, in order."""
    if isinstance(value, dict):
        return [value["url"]] if value.get("url") else [u for v in value.values() for u in _urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    return []


class Watch:
    """The server's CPU time, this process's CPU time, and the server's peak memory over a span."""

    def __init__(self, pid: int | None):
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()
        self.cpu0 = (cpu_s(pid) if pid else None, time.process_time(), time.perf_counter(),
                     own_cpu_s(pid) if pid else None)
        if pid:
            threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        while not self.done.wait(0.25):
            self.peak = max(self.peak, rss_mb(self.pid))

    def stop(self) -> dict:
        self.done.set()
        wall = time.perf_counter() - self.cpu0[2]
        server = cpu_s(self.pid) - self.cpu0[0] if self.pid else None
        front = own_cpu_s(self.pid) - self.cpu0[3] if self.pid else None
        load = time.process_time() - self.cpu0[1]
        cores = len(os.sched_getaffinity(0))
        return {"wall_s": round(wall, 1), "server_cpu_s": None if server is None else round(server, 1),
                "load_generator_cpu_s": round(load, 2),
                "server_cores_busy": None if server is None else round(server / wall, 2),
                "gradio_process_cpu_s": None if front is None else round(front, 1),
                "load_generator_share": round(load / (wall * cores), 4),
                "peak_rss_mb": round(max(self.peak, rss_mb(self.pid)), 1) if self.pid else None}


def own_cpu_s(pid: int) -> float:
    """CPU seconds of the process itself, without its workers (the part that holds one
    interpreter lock)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
