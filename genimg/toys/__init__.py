"""The 2-D families that train live in the Train tab: the registry, and the contract each keeps.

They mirror ``genimg.models`` at the scale of a blackboard: the same ideas (a GAN, a VAE, the
chain rule of the autoregressive models, diffusion, flow matching), each a small MLP on points
of the plane that trains in a second or two. A family is one module here holding:

- ``TITLE``, ``SUMMARY`` (one line), ``IDEA`` (what its two pictures show), in English; their
  Chinese is in ``genimg/ui/locale/toys.zh-CN.json``;
- ``LR``: its learning rate (the Train tab scales every family's by one factor) and ``BATCH``,
  the points of one training step (drawn from the same stream for every family);
- ``OPTIONS``: its own settings (``genimg.models.Option``), e.g. the VAE's β;
- ``Toy(width, lr, generator, **options)`` with
  - ``step(x, generator) -> {"loss": float, ...}``: one optimizer step on a batch of points;
  - ``sample(n, generator) -> (n, 2)`` points;
  - ``view(generator, at, data) -> {"over": layers, "idea": layers}``: the family's idea, as
    layers drawn over its samples and in a picture of its own (``genimg.plane`` draws them);
    ``at`` in [0, 1] is where the view looks (a time t, or a place across the plane); with
    ``"codes": True`` the idea's picture is a plane of codes, not of the data.

All randomness comes from the generator passed in. ``genimg.toys.run`` trains them side by side;
nothing outside a family's module branches on its name.
"""
from __future__ import annotations

import functools
import importlib
from types import ModuleType

# In the order the Train tab shows them.
TOYS: tuple[str, ...] = ("gan", "vae", "bins", "diffusion", "flow")


@functools.cache
def get(name: str) -> ModuleType:
    if name not in TOYS:
        raise ValueError(f"family must be one of {', '.join(TOYS)}, got {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def options() -> dict:
    """Every family's own options by name (their names are unique across the families)."""
    return {o.name: o for name in TOYS for o in get(name).OPTIONS}
