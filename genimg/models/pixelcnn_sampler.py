"""Fast, exact sampling for the Gated PixelCNN in ``pixelcnn.py`` (the idea of Ramachandran et
al. 2017, "Fast Generation for Convolutional Autoregressive Models").

The textbook sampler runs the whole network over the whole 28x28 canvas once per pixel: 784
passes in which almost every activation is the same as in the pass before. Here every layer
keeps what it computed:

* its vertical output for every row so far (a row depends only on rows above, so it is
  computed once, when the row above is finished: one row of each vertical layer per row);
* its horizontal output for the pixels so far in the current row (one position of each
  horizontal layer per pixel).

So a new pixel costs one position of every horizontal layer plus the output head, a new row one
row of every vertical layer. Every activation is computed once, as in a single
pass of the network, so an image costs hundreds of times fewer multiply-adds than with the
textbook sampler (``benchmarks/pixelcnn_sampling.py`` counts them); the numbers are the same
as the full pass (the tests compare the logits). What is left is Python overhead: 784 steps of
a few small matrix products, for the whole batch at once.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from . import Step
from .sampling import draw_from

SIZE = 28


def _gate(a: torch.Tensor) -> torch.Tensor:
    t, s = a.chunk(2, dim=1)
    return torch.tanh(t) * torch.sigmoid(s)


class Sampler:
    """Caches for one batch of images; ``run`` samples them pixel by pixel."""

    def __init__(self, model, labels: torch.Tensor):
        self.model, self.levels_n = model, model.config.levels
        layers = list(model.layers)
        self.layers = layers
        b = len(labels)
        self.pad = p = max(layer.k for layer in layers) // 2 + 1
        c = model.config.channels
        self.x = torch.zeros(b, 1, SIZE + p, SIZE + 2 * p)  # the embedded canvas, zero-padded
        self.v = [torch.zeros(b, c, SIZE + p, SIZE + 2 * p) for _ in layers]  # vertical outputs
        self.h = [torch.zeros(b, c, SIZE + p) for _ in layers]  # horizontal outputs, this row
        self.v2h = [torch.zeros(b, 2 * c, SIZE) for _ in layers]  # vertical -> horizontal, this row
        # each layer's gate biases for the 10 classes, (10, 2c, H, W) for each stack; a row of them
        # is picked per image when needed (the full (B, 4c, H, W) would not fit for large B)
        self.labels = labels
        self.cond = [layer.cond(model.class_map).chunk(2, dim=1) for layer in layers]
        # the 1xk horizontal convs and 1x1 convs as matrices, applied at one position
        self.h_w = [layer.h.weight.flatten(1).T.contiguous() for layer in layers]
        self.out_w = [layer.h_out.weight.flatten(1).T.contiguous() for layer in layers]
        head = [m for m in model.head if isinstance(m, torch.nn.Conv2d)]
        self.head = [(m.weight.flatten(1).T.contiguous(), m.bias) for m in head]
        self.canvas = torch.zeros(b, 1, SIZE, SIZE, dtype=torch.long)

    def start_row(self, r: int) -> None:
        """Every vertical layer's output at row r (which sees rows < r only)."""
        p = self.pad
        for i, layer in enumerate(self.layers):
            k = layer.k
            cols = slice(p - k // 2, p + SIZE + k // 2)
            if layer.first:  # shifted down: the conv centred on row r - 1
                if r == 0:
                    vp = torch.zeros(len(self.x), 2 * layer.c, 1, SIZE)
                else:
                    vp = F.conv2d(self.x[:, :, p + r - 1 - k // 2:p + r, cols], layer.v.weight, layer.v.bias)
            else:
                vp = F.conv2d(self.v[i - 1][:, :, p + r - k // 2:p + r + 1, cols], layer.v.weight, layer.v.bias)
            cv, ch = self.cond[i]
            self.v[i][:, :, p + r, p:p + SIZE] = _gate(vp[:, :, 0] + cv[self.labels, :, r])
            self.v2h[i] = layer.v2h(vp)[:, :, 0] + ch[self.labels, :, r]

    def pixel_logits(self, r: int, col: int) -> torch.Tensor:
        """Logits (B, levels) of pixel (r, col), from the pixels before it (row r started)."""
        p = self.pad
        for i, layer in enumerate(self.layers):
            k = layer.k
            if layer.first:  # shifted right: the conv centred on column col - 1
                if col == 0:
                    hp = torch.zeros(len(self.x), 2 * layer.c)
                else:
                    window = self.x[:, :, p + r, p + col - 1 - k // 2:p + col]
                    hp = torch.addmm(layer.h.bias, window.flatten(1), self.h_w[i])
            else:
                window = self.h[i - 1][:, :, p + col - k // 2:p + col + 1]
                hp = torch.addmm(layer.h.bias, window.flatten(1), self.h_w[i])
            h = torch.addmm(layer.h_out.bias, _gate(hp + self.v2h[i][:, :, col]), self.out_w[i])
            if not layer.first:
                h = h + self.h[i - 1][:, :, p + col]
            self.h[i][:, :, p + col] = h
        out = self.h[-1][:, :, p + col]
        (w1, b1), (w2, b2) = self.head
        return torch.addmm(b2, torch.relu(torch.addmm(b1, torch.relu(out), w1)), w2)

    def put(self, r: int, col: int, value: torch.Tensor) -> None:
        self.canvas[:, 0, r, col] = value
        self.x[:, 0, self.pad + r, self.pad + col] = self.model.embed(value)

    def step(self, filled: int, pixel: int, probs: torch.Tensor, value: int) -> Step:
        """The canvas after ``filled`` pixels, and one decision worth showing: the pixel of the
        first image whose distribution was most uncertain (highest entropy) since the last step."""
        return Step(self.model.to_image(self.canvas), filled, SIZE * SIZE, position=pixel, probs=probs, value=value)

    def run(self, generator: torch.Generator, temperature: float = 1.0, given=None, rows: int = 0,
            every: int = 28):
        """Sample every pixel below the top ``rows`` rows of ``given`` (B,1,28,28 in [0,1]);
        yield a ``Step`` every ``every`` sampled pixels (0: only at the end)."""
        from .pixelcnn import quantise

        if rows:
            kept = quantise(given, self.levels_n)
        step, best = None, (-1.0, 0, torch.zeros(self.levels_n), 0)  # (entropy, pixel, probs, value)
        for r in range(SIZE):
            self.start_row(r)
            if r < rows:  # kept rows: no sampling, only the vertical caches need them
                self.canvas[:, 0, r] = kept[:, 0, r]
                self.x[:, 0, self.pad + r, self.pad:self.pad + SIZE] = self.model.embed(kept[:, 0, r])
                continue
            for col in range(SIZE):
                probs = (self.pixel_logits(r, col) / temperature).softmax(-1)
                value = draw_from(probs, generator)
                self.put(r, col, value)
                filled = r * SIZE + col + 1
                if every:
                    entropy = -(probs[0] * probs[0].clamp_min(1e-12).log()).sum().item()
                    if entropy > best[0]:
                        best = (entropy, filled - 1, probs[0], int(value[0]))
                if (every and filled % every == 0) or filled == SIZE * SIZE:
                    step = self.step(filled, *best[1:])
                    best = (-1.0, 0, torch.zeros(self.levels_n), 0)
                    yield step
        if step is None:  # every row was given
            yield self.step(SIZE * SIZE, *best[1:])

    def teacher_forced_logits(self, levels: torch.Tensor) -> torch.Tensor:
        """Logits (B, levels, 28, 28) of every pixel of given images, through the caches (tests)."""
        out = torch.zeros(len(levels), self.levels_n, SIZE, SIZE)
        for r in range(SIZE):
            self.start_row(r)
            for col in range(SIZE):
                out[:, :, r, col] = self.pixel_logits(r, col)
                self.put(r, col, levels[:, 0, r, col])
        return out
