"""A class-conditional Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation
with PixelCNN Decoders").

The image is a sequence of 784 pixels in raster order, each one of ``levels`` grey levels, and

    p(x | y) = prod_i p(x_i | x_1 .. x_{i-1}, y)

Every layer has a *vertical* stack, which sees only the rows above the current pixel, and a
*horizontal* stack, which sees the pixels to the left in the current row plus the vertical
stack's summary of everything above. Together they cover all earlier pixels: the masked
PixelCNN's blind spot (the pixels up and to the right that a 3x3 mask B never reaches) is gone.
Causality comes from padding and one shift at the input instead of masks:

* the first layer's vertical output is shifted down one row and its horizontal output right one
  column ("mask A": the pixel itself is not seen);
* every later layer's vertical conv covers rows r-k//2 .. r and its horizontal conv columns
  c-k//2 .. c ("mask B"), which after that first shift are still all earlier pixels.

Each gate is tanh(a + V s_y) * sigmoid(b + W s_y), where s_y is a learned 28x28 map per class
(the paper's location-dependent conditioning): the class enters every layer as a bias that
also says *where* in the image the layer is, which convolutions alone do not know.

Sampling (``Sampler``) caches what each layer computed for earlier rows and pixels, so each new
pixel costs one position of every horizontal layer and each new row one row of every vertical
layer, instead of a pass of the whole network over the whole image (``sample_naive``). Both
give the same distribution at every step; the test suite checks it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import OneModelTrainer, Option, autocast, cpu_bf16

TITLE = "PixelCNN"
SUMMARY = "A convolutional network paints the image one pixel at a time, left to right, top to bottom."
OPTIONS = (
    Option("temperature", "Temperature", 1.0, 0.1, 2.0, 0.05,
           "divides the logits: < 1 picks likely grey levels, > 1 takes more chances"),
)


# The tests' config (the real code at a size that runs in milliseconds), and the class
# accuracy the shipped checkpoints' samples must keep (issue #3).
TINY = dict(levels=4, channels=4, layers=4, head=8)
BARS = {"mnist": 0.90, "fashion": 0.75}


@dataclass
class Config:
    levels: int = 8  # grey levels per pixel: a softmax over this many values
    channels: int = 48  # features per stack
    layers: int = 10  # gated layers (the first one is the "mask A" layer)
    kernel: int = 3  # kernel width of the later layers (rows r-k//2..r, columns c-k//2..c)
    first_kernel: int = 7  # kernel width of the first layer: a wide first look at the input
    head: int = 128  # hidden width of the 1x1 output head
    map_channels: int = 8  # channels of the learned per-class 28x28 conditioning map
    num_classes: int = 10


def quantise(x01: torch.Tensor, levels: int) -> torch.Tensor:
    """Grey values in [0, 1] -> level ids 0..levels-1 (nearest level)."""
    return (x01 * (levels - 1)).round().long().clamp(0, levels - 1)


def _gate(a: torch.Tensor) -> torch.Tensor:
    t, s = a.chunk(2, dim=1)
    return torch.tanh(t) * torch.sigmoid(s)


class GatedLayer(nn.Module):
    def __init__(self, c_in: int, c: int, k: int, map_channels: int, first: bool):
        super().__init__()
        self.first, self.k, self.c = first, k, c
        self.v = nn.Conv2d(c_in, 2 * c, (k // 2 + 1, k))  # rows r-k//2..r, columns c-k//2..c+k//2
        self.h = nn.Conv2d(c_in, 2 * c, (1, k // 2 + 1))  # columns c-k//2..c
        self.v2h = nn.Conv2d(2 * c, 2 * c, 1)
        self.h_out = nn.Conv2d(c, c, 1)
        self.cond = nn.Conv2d(map_channels, 4 * c, 1)  # class map -> biases of both gates

    def forward(self, v_in, h_in, cond):
        """``cond``: this layer's class biases (B, 4c, H, W), from ``Model.conditioning``."""
        k = self.k
        cv, ch = cond.chunk(2, dim=1)
        vp = self.v(F.pad(v_in, (k // 2, k // 2, k // 2, 0)))
        hp = self.h(F.pad(h_in, (k // 2, 0, 0, 0)))
        if self.first:  # mask A: see only strictly earlier rows / columns
            vp = F.pad(vp, (0, 0, 1, 0))[:, :, :-1]
            hp = F.pad(hp, (1, 0, 0, 0))[:, :, :, :-1]
        h = self.h_out(_gate(hp + self.v2h(vp) + ch))
        return _gate(vp + cv), h if self.first else h + h_in


class Model(nn.Module):
    grid = (28, 28)  # the sequence, as rows and columns: one position per pixel

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c, m = config.channels, config.map_channels
        self.class_map = nn.Parameter(torch.zeros(config.num_classes, m, 28, 28))
        self.layers = nn.ModuleList(
            [GatedLayer(1, c, config.first_kernel, m, first=True)]
            + [GatedLayer(c, c, config.kernel, m, first=False) for _ in range(config.layers - 1)])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(c, config.head, 1), nn.ReLU(),
                                  nn.Conv2d(config.head, config.levels, 1))

    def embed(self, levels: torch.Tensor) -> torch.Tensor:
        """Level ids (B,1,H,W) -> the network's input in [-1, 1]."""
        return levels.float() * (2 / (self.config.levels - 1)) - 1

    def forward(self, levels: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Level ids (B,1,28,28) -> logits (B, levels, 28, 28); logits at pixel i see only pixels < i."""
        return self.logits(self.embed(levels), y)

    def logits(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The same from the embedded canvas (B,1,28,28) in [-1, 1], which gradients can reach."""
        return self.head(self.features(x, y))

    def features(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The last horizontal stack's output (B, channels, 28, 28); the head is 1x1 convs."""
        v = h = x
        for layer, cond in zip(self.layers, self.conditioning(y)):
            v, h = layer(v, h, cond)
        return h

    def conditioning(self, y: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's gate biases for classes ``y``: (B, 4c, 28, 28) per layer, a 1x1 conv of the
        class's map."""
        s = self.class_map[y]
        return [layer.cond(s) for layer in self.layers]

    def nll(self, levels: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of each image in nats, (B,)."""
        return F.cross_entropy(self(levels, y), levels[:, 0], reduction="none").sum((1, 2))

    def to_image(self, levels: torch.Tensor) -> torch.Tensor:
        return levels.float() / (self.config.levels - 1)

    def nfe(self, **_) -> int:
        return 784  # one (cached) network step per pixel

    @torch.no_grad()
    def sample(self, labels, generator, temperature: float = 1.0):
        return self.complete(None, 0, labels, generator, temperature)

    @torch.no_grad()
    def complete(self, given, rows: int, labels, generator, temperature: float = 1.0):
        """Keep the top ``rows`` rows of ``given`` (B,1,28,28 in [0, 1]) and sample the rest."""
        *_, last = self.stream(labels, generator, temperature, given=given, rows=rows, every=0)
        return last.canvas

    def kept(self, given: torch.Tensor, rows: int) -> torch.Tensor:
        """The top ``rows`` rows of ``given`` (B,1,28,28 in [0,1]) as the model sees them
        (quantised), the rest blank."""
        levels = quantise(given, self.config.levels)
        levels[:, :, rows:] = 0
        return self.to_image(levels)

    @torch.no_grad()
    def frames(self, labels, generator, temperature: float = 1.0, every: int = 28 * 4):
        """The canvas every ``every`` pixels (unsampled pixels grey), ending with the sample."""
        for step in self.stream(labels, generator, temperature, every=every):
            yield step.canvas

    @torch.no_grad()
    def stream(self, labels, generator, temperature=1.0, given=None, rows=0, every=28):
        """Yield a ``Step`` every ``every`` sampled pixels (0: only the last one); with ``given``,
        keep its top ``rows`` rows and draw the rest."""
        from .pixelcnn_sampler import Sampler

        yield from Sampler(self, labels).run(generator, temperature, given, rows, every)

    @torch.no_grad()
    def sample_naive(self, labels, generator, temperature: float = 1.0):
        """The textbook sampler: the whole network over the whole canvas, once per pixel."""
        from .sampling import draw

        x = torch.zeros(len(labels), 1, 28, 28, dtype=torch.long)
        for i in range(28 * 28):
            r, c = divmod(i, 28)
            x[:, 0, r, c] = draw(self(x, labels)[:, :, r, c], generator, temperature)
        return self.to_image(x)


# --- pictures for "How it works" (numpy out) ------------------------------------------------

UNSEEN, SEEN, TARGET = 0, 1, 2


def mask(kind: str, k: int = 5) -> np.ndarray:
    """The k x k mask of a masked PixelCNN convolution (van den Oord et al. 2016a): SEEN where a
    weight may be non-zero, TARGET at the centre. Mask A (first layer) hides the centre pixel
    itself; mask B (later layers) lets a layer see its own position, which by then holds only
    information about earlier pixels."""
    m = np.zeros((k, k), np.uint8)
    m[:k // 2] = SEEN
    m[k // 2, :k // 2] = SEEN
    m[k // 2, k // 2] = TARGET if kind == "A" else SEEN + TARGET
    return m


def receptive_field(gated: bool, layers: int = 4, size: int = 13) -> np.ndarray:
    """The pixels that can change the prediction of the centre pixel after ``layers`` layers with
    3x3 kernels, found by gradients through a random network of that shape: masked
    convolutions (mask A, then mask B; they never reach the pixels up and to the right, the
    "blind spot") or this file's gated vertical + horizontal stacks."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 1, size, size, generator=gen, dtype=torch.float64).requires_grad_()
    c = size // 2
    if gated:
        model = Model(Config(levels=2, channels=2, layers=layers, kernel=3, first_kernel=3, head=2,
                             map_channels=2)).double()
        model.class_map.data = torch.zeros(1, 2, size, size, dtype=torch.float64)
        out = model.features(x, torch.tensor([0]))
    else:
        out = x
        for i in range(layers):
            w = torch.randn(2 if i else 1, 2, 3, 3, generator=gen, dtype=torch.float64).transpose(0, 1)
            m = torch.from_numpy(mask("B" if i else "A", 3) > 0).to(w.dtype)
            out = torch.tanh(F.conv2d(out, w * m, padding=1))
    out[0, :, c, c].sum().backward()
    seen = (x.grad[0, 0] != 0).numpy()
    m = np.where(seen, SEEN, UNSEEN).astype(np.uint8)
    m[c, c] = TARGET
    return m


class Trainer(OneModelTrainer):
    """Cross-entropy over the grey levels of every pixel (teacher forcing: all 784 pixel
    predictions in one pass), Adam 1e-3 with cosine decay, gradient clipping at 1; bfloat16
    autocast where the device has it, and channels-last tensors where the CPU has bfloat16 units
    (2x faster here)."""

    epochs = 3
    batch_size = 64

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        self.model = model
        self.total_steps = total_steps
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=total_steps)
        if cpu_bf16():
            model.to(memory_format=torch.channels_last)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.model.train()
        levels = quantise((x + 1) / 2, self.model.config.levels)
        with autocast(x.device):
            logits = self.model(levels.contiguous(memory_format=torch.channels_last), y)
        nats = F.cross_entropy(logits.float(), levels[:, 0], reduction="none").sum((1, 2)).mean()
        self.opt.zero_grad(set_to_none=True)
        nats.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.sched.step()
        return {"bits_per_dim": nats.item() / (784 * math.log(2))}

    def inference_model(self, x: torch.Tensor, y: torch.Tensor) -> Model:
        return self.model.to(memory_format=torch.contiguous_format).eval()

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality

        return {**sample_quality(model, dataset, data_dir=data_dir),
                **bits_per_dim(model, dataset, data_dir=data_dir)}


@torch.no_grad()
def bits_per_dim(model: Model, dataset: str, data_dir=None) -> dict:
    """Test-set negative log-likelihood of the images quantised to the model's grey levels.

    An autoregressive model gives the exact discrete likelihood, not a bound. It depends on the
    quantisation: fewer levels, fewer bits to spend per pixel.
    """
    from ..data import load_tensors

    x, y = load_tensors(dataset, "test", data_dir)
    levels = quantise((x + 1) / 2, model.config.levels)
    nats = torch.cat([model.nll(levels[i:i + 250], y[i:i + 250]) for i in range(0, len(x), 250)]).mean().item()
    return {"test_nll_nats": round(nats, 2), "test_bits_per_dim": round(nats / (x[0].numel() * math.log(2)), 4),
            "levels": model.config.levels}


def likelihood(model: Model, dataset: str, data_dir=None) -> dict:
    """The scoreboard's likelihood: the exact test-set NLL at the model's grey levels."""
    return {"kind": "exact", **bits_per_dim(model, dataset, data_dir)}
