"""A small CNN classifier per dataset: it labels generated images in the UI and gives the
Inception Score's class probabilities; its last convolutional block is the second ruler of the
scores (``embedding``; the judge, ``judge.py``, is the first), a domain-specific stand-in for the
Inception network of FID, as is usual for MNIST-sized data.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import OneModelTrainer


# The tests' config (the real code at a size that runs in milliseconds), and the test-set
# accuracy the shipped checkpoints must keep.
TINY = dict(width=4, features=8)
BARS = {"mnist": 0.99, "fashion": 0.91}


@dataclass
class Config:
    width: int = 32  # channels of the first conv block; the second has twice as many
    features: int = 128  # penultimate width: the embedding FID and precision/recall use
    dropout: float = 0.3  # before the last layer; enough to reach 91%+ on Fashion-MNIST
    blur: float = 0.0  # training blurs half of each batch with a Gaussian of std up to this many
    # pixels, so the classifier reads shape, not sharpness (a blurry coat is still a coat)
    num_classes: int = 10


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class Model(nn.Module):
    """Two conv blocks (28 -> 14 -> 7), a feature layer, a linear head."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        w = config.width
        self.body = nn.Sequential(_block(1, w), _block(w, 2 * w), nn.Flatten(),
                                  nn.Linear(2 * w * 7 * 7, config.features), nn.ReLU(inplace=True))
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.features, config.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,1,28,28) in [-1,1] -> penultimate features (B, features)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.features(x)))  # (B, classes) logits

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """What the scores measure: the second conv block (2w x 7 x 7) averaged onto a 2x2
        grid, (B, 8w), the same layer as the judge's (``judge.Model.embedding``)."""
        return F.adaptive_avg_pool2d(self.body[:2](x), 2).flatten(1)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Blur (B,1,H,W) images with a 5x5 Gaussian of std ``sigma`` pixels (edges replicated)."""
    if sigma < 1e-3:
        return x
    t = torch.arange(-2, 3, dtype=x.dtype, device=x.device)
    k = torch.exp(-t**2 / (2 * sigma**2))
    k = k / k.sum()
    x = F.pad(x, (2, 2, 2, 2), mode="replicate")
    return F.conv2d(F.conv2d(x, k.view(1, 1, 1, 5)), k.view(1, 1, 5, 1))


class Trainer(OneModelTrainer):
    """Cross-entropy with AdamW and a one-cycle learning rate; shifts of up to 2 pixels and,
    with config.blur, Gaussian blur on half of each batch."""

    epochs = 8
    batch_size = 128

    def __init__(self, model: Model, total_steps: int, lr: float = 2e-3):
        self.model = model
        self.total_steps = total_steps
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=lr, total_steps=total_steps)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.model.train()
        dx, dy = torch.randint(-2, 3, (2,), generator=generator).tolist()
        x = torch.roll(x, shifts=(dx, dy), dims=(2, 3))  # translation invariance for drawings
        if self.model.config.blur > 0:
            sigma = self.model.config.blur * torch.rand((), generator=generator).item()
            half = len(x) // 2
            x = torch.cat([gaussian_blur(x[:half], sigma), x[half:]])
        loss = F.cross_entropy(self.model(x), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return {"loss": loss.item()}

    def inference_model(self, x=None, y=None) -> nn.Module:
        return self.model

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        """Test accuracy; also writes the dataset's example sheet that the app shows."""
        from ..data import write_example_sheet

        write_example_sheet(dataset, data_dir)
        return test_accuracy(model, dataset, data_dir)


@torch.no_grad()
def test_accuracy(model: nn.Module, dataset: str, data_dir=None) -> dict:
    """The share of the test set a network that maps images in [-1,1] to logits gets right."""
    from ..data import load_tensors

    x, y = load_tensors(dataset, "test", data_dir)
    model.eval()
    pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return {"test_accuracy": round((pred == y).float().mean().item(), 4)}
