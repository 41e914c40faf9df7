"""The second ruler: a LeNet-style network trained only to evaluate, never shown in the app.

The scoreboard's FID, precision and recall are distances between feature vectors, so they are
only as trustworthy as the network that makes the features. The shipped classifier labels the
app's images and was trained for that (blur augmentation on Fashion-MNIST, dropout, post-ReLU
features). This judge differs on purpose in everything a ruler could depend on: its own seed,
5x5 convolutions with average pooling instead of 3x3 with batch norm and max pooling, no
dropout, no blur augmentation. ``python -m genimg eval`` reports every score in both networks'
features (``embedding``: the last convolutional block on a 2x2 grid); where the two rulers agree
on the order of the families, the order is the families' and not the ruler's (LeCun et al. 1998
for the architecture).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import OneModelTrainer
from .classifier import test_accuracy


TINY = dict(width=4, features=8)  # the tests' config: the real code at a size that runs in milliseconds


@dataclass
class Config:
    width: int = 32  # channels of the first 5x5 conv; the second has twice as many
    features: int = 256  # the embedding: the layer before the classifier head, before its ReLU
    num_classes: int = 10


class Model(nn.Module):
    """conv5 -> avgpool -> conv5 -> avgpool (28 -> 14 -> 7), a feature layer, a linear head."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        w = config.width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),  # (B, w, 14, 14)
            nn.Conv2d(w, 2 * w, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),  # (B, 2w, 7, 7)
            nn.Flatten(), nn.Linear(2 * w * 7 * 7, config.features))
        self.head = nn.Linear(config.features, config.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,1,28,28) in [-1,1] -> the embedding (B, features), before the ReLU."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.relu(self.features(x)))  # (B, classes) logits

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """What the scores measure: the last convolutional block (after its pooling, 2w x 7 x 7)
        averaged onto a 2x2 grid, (B, 8w). Like Inception's pool3 it is made of convolutional
        features, not of the layer trained to separate the classes, and the 2x2 grid keeps where
        on the canvas a stroke is (see ``benchmarks/ruler.py`` for the other layers)."""
        return F.adaptive_avg_pool2d(self.body[:6](x), 2).flatten(1)


class Trainer(OneModelTrainer):
    """Cross-entropy with Adam and a cosine learning rate from 1e-3; shifts of up to 2 pixels,
    nothing else (no blur, no dropout)."""

    epochs = 6
    batch_size = 128

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        self.model = model
        self.total_steps = total_steps
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=total_steps)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.model.train()
        dx, dy = torch.randint(-2, 3, (2,), generator=generator).tolist()
        loss = F.cross_entropy(self.model(torch.roll(x, shifts=(dx, dy), dims=(2, 3))), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return {"loss": loss.item()}

    def inference_model(self, x=None, y=None) -> nn.Module:
        return self.model

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        return test_accuracy(model, dataset, data_dir)
