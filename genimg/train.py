"""One training loop for every family: data, progress bar, resume, the card.

The family's ``Trainer`` owns its networks, losses and optimizers (a GAN has two); this loop
only feeds it batches, records the loss curve, writes resumable state under ``runs/`` every
few minutes and, at the end, the inference weights and card under ``checkpoints/``.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import checkpoint, distributed, learning, models
from .data import NUM_CLASSES, dataset_info, load_tensors, to_uint8

SAVE_EVERY_S = 120  # resumable state at most this stale when a session ends
CURVE_EVERY = 50  # steps per loss-curve point (mean over those steps)
SHEETS = 8  # sample sheets per run, evenly spaced over its steps (how the model learned)
SHEET_ROWS = 4  # a sheet: one column per class, one row per fixed seed


def hardware(on: torch.device | None = None) -> str:
    if on is not None and on.type == "cuda":
        return f"{torch.cuda.get_device_name(on)} (CUDA {torch.version.cuda}), torch {torch.__version__}"
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}"


def _state_path(family: str, dataset: str, root=None):
    """The resumable state: under ``runs/``, or beside the checkpoint when it goes to another root."""
    return (checkpoint.RUNS_DIR if root is None else Path(root)) / dataset / f"{family}.state.safetensors"


def parse_overrides(config_cls, pairs: list[str]) -> dict:
    """``["z_dim=16", "beta=0.5"]`` -> typed values for the family's Config fields."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in fields:
            raise ValueError(f"--set takes KEY=VALUE with KEY one of {', '.join(fields)}, got {pair!r}")
        kind = type(getattr(config_cls(), key))
        try:
            if kind is tuple:  # widths=12,24,48
                out[key] = tuple(int(v) for v in value.split(","))
            elif kind is bool and value not in ("True", "False"):
                raise ValueError(value)
            else:
                out[key] = value == "True" if kind is bool else kind(value)
        except ValueError:
            raise ValueError(f"--set {key} needs a {kind.__name__}, got {value!r}") from None
    return out


def take_subset(x: torch.Tensor, y: torch.Tensor, n: int, batch_size: int):
    """The first ``n`` images of the class-balanced order (as many of every class)."""
    from .evaluate import balanced_order

    order = balanced_order(y)
    if n % NUM_CLASSES or not batch_size <= n <= len(order):
        raise ValueError(f"--subset must be a multiple of {NUM_CLASSES} between the batch size "
                         f"{batch_size} and {len(order)}, got {n}")
    keep = order[:n]
    return x[keep], y[keep]


def earlier_steps(earlier: dict | None) -> int:
    """Steps of the runs a checkpoint was continued from (``continued_from``, nested)."""
    return 0 if not earlier else earlier["steps"] + earlier_steps(earlier.get("earlier"))


@torch.no_grad()
def snapshot(trainer, x, y):
    """The inference model as it stands, from a copy of the trainer (training goes on untouched),
    on the CPU, in eval mode."""
    twin = copy.deepcopy(trainer)
    distributed.place(twin, torch.device("cpu"))
    return twin.inference_model(x.cpu(), y.cpu()).eval()


@torch.no_grad()
def sample_sheet(fam, model) -> np.ndarray:
    """SHEET_ROWS samples of every class from ``model`` (a ``snapshot``) at the family's default
    options, always the same seed. Returns uint8 (SHEET_ROWS * classes, 28, 28), one row per seed."""
    labels = torch.arange(NUM_CLASSES).repeat(SHEET_ROWS)
    with torch.random.fork_rng(devices=[]):
        return to_uint8(model.sample(labels, torch.Generator().manual_seed(0), **defaults(fam)))


def defaults(fam) -> dict:
    return {o.name: o.default for o in fam.OPTIONS}


def train(family: str, dataset: str, data_dir=None, epochs: int | None = None, resume: bool = True,
          seed: int = 0, max_steps: int | None = None, root=None, quiet: bool = False,
          overrides: list[str] | None = None, from_checkpoint: bool = False, device: str = "auto",
          subset: int | None = None) -> dict:
    """Train ``family`` on ``dataset`` and write its checkpoint; return the card.

    Args:
        epochs: passes over the 60,000 training images (default: the family's recipe).
        resume: continue from ``runs/<dataset>/<family>.state.safetensors`` if it exists.
        max_steps: stop early after this many steps (tests, smoke runs).
        overrides: ``KEY=VALUE`` changes to the family's Config defaults (recorded in the card).
        from_checkpoint: when there is no state to resume, start from the weights of the
            checkpoint already written (e.g. the committed one) with a fresh optimizer, and
            count its steps and time in the new card.
        device: ``auto`` (a GPU when torch sees one, else the CPU), ``cpu`` or ``cuda``. The
            finished model is moved back to the CPU, where the app runs it.
        subset: train on only this many training images, the first of the class-balanced order
            (``evaluate.balanced_order``: 600 of them are within the first 6,000), for as many
            steps as the whole set would take (the data study of docs/scaling.md).
    """
    dataset_info(dataset)
    fam = models.get(family)
    on = distributed.device(device)
    rank, size = distributed.start(on)  # several processes when started by torchrun
    x, y = load_tensors(dataset, "train", data_dir)
    epochs = epochs or fam.Trainer.epochs
    bs = fam.Trainer.batch_size
    full = epochs * (len(x) // bs)  # the recipe's steps, on the whole set or a part of it
    if subset is not None:
        x, y = take_subset(x, y, subset, bs)
    per_epoch = len(x) // bs
    total = full if max_steps is None else min(max_steps, full)
    config = fam.Config(**parse_overrides(fam.Config, overrides or []))
    model = fam.Model(config)
    state_path = _state_path(family, dataset, root)
    earlier = None
    if from_checkpoint and not (resume and state_path.exists()):
        shipped, old = checkpoint.load(family, dataset, fam.Config, fam.Model, root)
        try:  # a --set that only changes the training (not the network's shape) may differ
            model.load_state_dict(shipped.state_dict())
        except RuntimeError:
            raise ValueError(f"the checkpoint has config {dataclasses.asdict(shipped.config)}; repeat its "
                             f"--set options to continue it") from None
        earlier = {"steps": old["recipe"]["steps"], "wall_time_s": old["recipe"]["wall_time_s"],
                   "command": old["recipe"]["command"], "earlier": old["recipe"].get("continued_from")}
        print(f"continuing {family}/{dataset} from its checkpoint ({earlier['steps']} steps)", file=sys.stderr)
    trainer = fam.Trainer(model, total_steps=total)
    # a family that starts from another family's shipped checkpoint (a tokenizer, a teacher)
    # loads it here; what it names goes into the card
    builds_on = trainer.build_on(dataset, root, fresh=earlier is None) if hasattr(trainer, "build_on") else None
    distributed.place(trainer, on)  # before loading state, so the optimizers' state lands there too
    gen = torch.Generator().manual_seed(seed + 7919 * rank)  # each process its own noise
    step, curve, elapsed, sheets, spent = 0, [], 0.0, [], {}
    if resume and state_path.exists():
        state = checkpoint.load_state(state_path)
        if state.get("config", dataclasses.asdict(config)) != json.loads(json.dumps(dataclasses.asdict(config))):
            raise ValueError(f"{state_path} was trained with config {state['config']}; repeat its --set "
                             f"options to resume it, or pass --no-resume to start over")
        trainer.load_state_dict(state["trainer"])
        step, curve, elapsed = state["step"], state["curve"], state["elapsed"]
        earlier, sheets, spent = state.get("continued_from"), state.get("sheets", []), state.get("learning", {})
        if rank == 0:
            gen.set_state(state["rng"])
        print(f"resuming {family}/{dataset} from step {step} ({state_path})", file=sys.stderr)

    def save_state():
        checkpoint.save_state(state_path, {"trainer": trainer.state_dict(), "step": step,
                                           "config": dataclasses.asdict(config),
                                           "curve": curve, "elapsed": elapsed + time.time() - t0,
                                           "rng": gen.get_state(), "continued_from": earlier,
                                           "sheets": sheets, **({"learning": meter.state()} if meter else {})})

    draws_sheets = hasattr(fam, "OPTIONS") and rank == 0
    sheet_steps = {max(1, round(total * k / SHEETS)) for k in range(1, SHEETS + 1)} if draws_sheets else set()
    # a learning curve beside the sheets: quality and what training has spent (learning.py)
    ruler = learning.Ruler.make(dataset, data_dir) if draws_sheets else None
    if draws_sheets and step == 0:
        if earlier:  # a continued run adds its sheets (and points) after the checkpoint's own
            old = checkpoint.read_card(family, dataset, root)
            sheets = list(old.get("sheets", []))
            last = (old.get("learning") or [{}])[-1]
            spent = {"points": old.get("learning", []), **{k: last.get(k, 0) for k in ("flops", "cpu_s", "wall_s")}}
        else:
            checkpoint.clear_sheets(family, dataset, root)
    # (a run resumed from a state saved before curves were drawn has not counted its spending: none)
    meter = learning.Meter(**spent) if ruler and (spent or step == 0) else None
    before = earlier_steps(earlier)  # the steps of the checkpoint this run continues

    with distributed.shared(trainer, size, on):  # each trained network in DDP, for the run
        t0 = last_save = time.time()
        window: dict[str, list[float]] = {}
        bar = tqdm(total=total, initial=step, desc=f"{family}/{dataset}", disable=quiet or rank > 0, mininterval=5)
        while step < total:
            # the order of an epoch depends only on (seed, epoch), so a resumed run sees the same data
            epoch, offset = divmod(step, per_epoch)
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed * 1000 + epoch))
            idx = distributed.shard(order[offset * bs:(offset + 1) * bs], rank, size)
            xb, yb = x[idx].to(on), y[idx].to(on)
            logs = trainer.step(xb, yb, gen)
            distributed.share_buffers(trainer, size)
            step += 1
            if meter:
                meter.add(logs, trainer, xb, yb)
            for k, v in logs.items():
                window.setdefault(k, []).append(v)
            if step % CURVE_EVERY == 0 or step == total:
                point = {"step": step, **{k: round(sum(v) / len(v), 5) for k, v in window.items()}}
                curve.append(point)
                window = {}
                bar.set_postfix({k: v for k, v in point.items() if k != "step"}, refresh=False)
            bar.update(1)
            if step in sheet_steps:
                if meter:
                    meter.pause()
                now = snapshot(trainer, x, y)
                name = checkpoint.save_sheet(sample_sheet(fam, now), family, dataset, before + step,
                                             NUM_CLASSES, root)
                sheets.append({"step": before + step, "file": name})
                if meter:
                    mark = meter.point(before + step, ruler.measure(now, **defaults(fam)), name)
                    tqdm.write(f"{family}/{dataset} learning: {mark}", file=sys.stderr)
                    meter.resume()
            if time.time() - last_save > SAVE_EVERY_S and rank == 0:
                save_state()
                last_save = time.time()
        bar.close()
    if rank > 0:  # process 0 writes everything
        distributed.stop()
        return {}
    save_state()
    wall = elapsed + time.time() - t0
    distributed.place(trainer, torch.device("cpu"))
    final = trainer.inference_model(x, y)
    launcher = ["torchrun", f"--nproc-per-node={size}"] if size > 1 else ["python"]
    command = [*launcher, "-m", "genimg", "train", "--family", family, "--dataset", dataset]
    if epochs != fam.Trainer.epochs:
        command += ["--epochs", str(epochs)]
    if seed:
        command += ["--seed", str(seed)]
    if total < full:
        command += ["--max-steps", str(total)]
    if subset is not None:
        command += ["--subset", str(subset)]
    for pair in overrides or []:
        command += ["--set", pair]
    if earlier:
        command += ["--from-checkpoint"]
    if device != "auto":
        command += ["--device", device]
    card = {
        "recipe": {"command": shlex.join(command), "epochs": epochs, "steps": step,
                   **({"images": len(x)} if subset is not None else {}),
                   "batch_size": bs, "seed": seed, "wall_time_s": round(wall, 1),
                   "hardware": hardware(on) + (f", {size} processes" if size > 1 else ""),
                   "trainer": fam.Trainer.__doc__.strip(),
                   **({"continued_from": earlier} if earlier else {}),
                   **({"builds_on": builds_on} if builds_on else {})},
        "parameters": sum(p.numel() for p in final.parameters()),
        "loss_curve": curve,
        **({"sheets": sheets} if sheets else {}),
        **({"learning": meter.points} if meter and meter.points else {}),
    }
    # a run under another root (a study's, under runs/) is never shipped: its weights may be of any size
    checkpoint.save(final, config, family, dataset, card, root,
                    max_bytes=checkpoint.MAX_FILE_BYTES if root is None else None)
    distributed.stop()
    final.eval().requires_grad_(False)
    metrics = fam.Trainer.evaluate(final, dataset, data_dir)
    return checkpoint.update_card(family, dataset, root, metrics=metrics)
