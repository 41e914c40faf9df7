"""Check training on another device against the CPU: the same start, batches and noise on both.

    python benchmarks/device_check.py --device cuda --data-dir DIR [--steps 30] [--family F ...] [--out PATH.json]

For every family, the same initial weights (one seed), the same batches and the same noise (drawn
on the CPU from the run's generator) go through the trainer on the CPU and on the device. It
reports, per logged loss, the largest relative difference over the steps (float32 and bfloat16
round differently on each device, and a GAN's game amplifies it) and the seconds per step on
each. Then ``python -m genimg train --device D`` runs end to end in a scratch folder (with the
shipped classifier copied in, to score the result), and its card must name the device. Made for
a lent GPU: one command, a few minutes; ``--device cpu`` runs it anywhere (differences are 0).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, parser, save_json  # noqa: E402
from genimg import checkpoint, distributed, models  # noqa: E402
from genimg.data import load_tensors  # noqa: E402
from genimg.train import hardware  # noqa: E402

DATASET = "mnist"


def _sync(on: torch.device) -> None:
    if on.type == "cuda":
        torch.cuda.synchronize(on)


def _trainer(family: str, steps: int, on: torch.device):
    fam = models.get(family)
    torch.manual_seed(0)  # the same initial weights (the trainer's own networks too) on both sides
    trainer = fam.Trainer(fam.Model(fam.Config()), total_steps=steps)
    distributed.place(trainer, on)
    return trainer


def compare(family: str, on: torch.device, steps: int, x: torch.Tensor, y: torch.Tensor) -> dict:
    """``steps`` steps on the CPU and on ``on`` from the same start: the largest relative
    difference of each logged value, and the seconds per step on each device."""
    bs = models.get(family).Trainer.batch_size
    logs, seconds = {}, {}
    for side, where in (("cpu", torch.device("cpu")), ("device", on)):
        trainer, gen = _trainer(family, steps, where), torch.Generator().manual_seed(1)
        rows, t0 = [], time.perf_counter()
        for i in range(steps):
            j = (i * bs) % (len(x) - bs + 1)
            rows.append(trainer.step(x[j:j + bs].to(where), y[j:j + bs].to(where), gen))
        _sync(where)
        logs[side], seconds[side] = rows, (time.perf_counter() - t0) / steps
    cpu, dev = logs["cpu"], logs["device"]
    worst = {k: max(abs(a[k] - b[k]) / max(abs(a[k]), 1e-6) for a, b in zip(cpu, dev)) for k in cpu[0]}
    return {"max_relative_difference": {k: round(v, 6) for k, v in worst.items()},
            "seconds_per_step": {k: round(v, 4) for k, v in seconds.items()},
            "last": {"cpu": cpu[-1], "device": dev[-1]}}


def end_to_end(device: str, data_dir: str | None, family: str = "vae", steps: int = 20) -> dict:
    """``python -m genimg train --device D`` in a scratch folder: its card's hardware and metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        ck = Path(tmp) / "checkpoints" / DATASET
        ck.mkdir(parents=True)
        for f in checkpoint.CHECKPOINT_DIR.joinpath(DATASET).glob("classifier.*"):
            shutil.copy(f, ck)
        env = {**os.environ, "GENIMG_CHECKPOINTS": str(ck.parent), "GENIMG_RUNS": str(Path(tmp) / "runs")}
        cmd = [sys.executable, "-m", "genimg", "train", "--family", family, "--dataset", DATASET,
               "--max-steps", str(steps), "--device", device, "--no-resume"]
        cmd += ["--data-dir", data_dir] if data_dir else []
        t0 = time.perf_counter()
        run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if run.returncode:
            return {"ok": False, "error": run.stderr.strip().splitlines()[-1:]}
        card = json.loads((ck / f"{family}.json").read_text())
    named = "CUDA" if device == "cuda" else "CPU threads"  # what the card's hardware must say
    said = card["recipe"]["hardware"]
    return {"ok": named in said, "seconds": round(time.perf_counter() - t0, 1), "hardware": said,
            "class_accuracy": card["metrics"].get("class_accuracy")}


def main() -> None:
    p = parser(__doc__, "device_check", write=False)
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    p.add_argument("--data-dir", default=os.environ.get("GENIMG_DATA"), help="folder holding mnist/ idx files")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--family", action="append", default=None, help=f"repeatable: {', '.join(models.TRAINABLE)}")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    on = distributed.device(a.device)
    x, y = load_tensors(DATASET, "train", a.data_dir)
    result = {"device": str(on), "hardware": hardware(on),
              "steps": a.steps, "families": {}}
    for family in a.family or models.TRAINABLE:
        result["families"][family] = r = compare(family, on, a.steps, x, y)
        print(f"{family:12s} {r['seconds_per_step']} s/step, largest relative difference {r['max_relative_difference']}",
              flush=True)
    result["end_to_end"] = end_to_end(a.device, a.data_dir)
    print("end to end:", result["end_to_end"])
    save_json(a.out, result)


if __name__ == "__main__":
    main()
