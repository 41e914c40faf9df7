"""A class-conditional DCGAN.

Generator: (z, class) -> image through a linear layer to 7x7 and two upsample+conv stages,
with class-conditional batch norm. Discriminator: a spectrally normalised CNN with a projection
head (Miyato & Koyama 2018, "cGANs with Projection Discriminator"; Miyato et al. 2018, "Spectral
Normalization"). Samples come from an exponential moving average of the generator (Yazici et
al. 2019), whose batch-norm statistics are re-estimated after training.

    min_G max_D  E_x[log D(x|y)] + E_z[log(1 - D(G(z|y)|y))]      (Goodfellow et al. 2014)

is optimised in its hinge form (Lim & Ye 2017). The discriminator also sees the spread of the
batch's images of each class (``MinibatchStd(by_class=True)``, ``minibatch_std="class"``), the
shipped recipe. With the spread over groups of four images of mixed classes instead (the older
recipe), G learned early to ignore z within a class (by step 188 every seed of a class gave one
image; docs/gan_collapse.png) and never fully recovered (recall 0.29 MNIST, 0.11 Fashion): a
group of mixed classes looks varied even when each class has a single image.

Other options, measured as well: the relativistic pairing loss (RpGAN; Huang et al. 2024, "The
GAN is dead; long live the GAN!"), L_D = E softplus(D(G(z|y)|y) - D(x|y)), L_G = E softplus(D(x|y)
- D(G(z|y)|y)); zero-centred gradient penalties on real (R1, Mescheder et al. 2018) and fake (R2)
images, (gamma/2) E|grad_x D|^2; DiffAugment (Zhao et al. 2020: translation and cutout of real
and fake); and the mode-seeking term of MSGAN (Mao et al. 2019): fakes in pairs of one class, G
rewarded for |G(z1|y) - G(z2|y)| / |z1 - z2| (``Trainer.mode_spread``). RpGAN + R1/R2 collapsed
like the hinge loss; mode seeking (weight 0.3) and the class-grouped spread both did not.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from . import Option
from .augment import MinibatchStd, diff_augment

TITLE = "GAN"
SUMMARY = "A generator and a discriminator play a game: one forges, the other spots forgeries."
OPTIONS = (
    # 0.9 from benchmarks/truncation_sweep.py: Fashion-MNIST class accuracy 91% (90% at 1.0) for a
    # little FID; 1.0 is the distribution G was trained on
    Option("truncation", "Truncation ψ", 0.9, 0.0, 1.0, 0.05,
           "scales the noise z: 1 = full variety, 0 = the class's 'average' image"),
)


# The tests' config (the real code at a size that runs in milliseconds), and the class
# accuracy the shipped checkpoints' samples must keep (issue #2).
TINY = dict(z_dim=8, width=8, d_width=4)
BARS = {"mnist": 0.97, "fashion": 0.85}


@dataclass
class Config:
    z_dim: int = 64  # noise size; MNIST needs few factors of variation
    width: int = 64  # generator channels at 14x14 (twice that at 7x7, half at 28x28)
    d_width: int = 32  # discriminator channels at 28x28 (doubling at each stride)
    num_classes: int = 10
    # training recipe (the generator's weights do not depend on these); the shipped one is the
    # hinge loss with the class-grouped spread (minibatch_std="class")
    loss: str = "hinge"  # "hinge" or "rpgan" (relativistic pairing)
    r1: float = 0.0  # gamma of the zero-centred penalty on real images (0: off)
    r2: float = 0.0  # the same on fake images
    augment: str = ""  # DiffAugment on D's inputs: "translation", "cutout", both comma-separated, or ""
    mode_seeking: float = 0.0  # lambda of the mode-seeking term (MSGAN); 0: off
    minibatch_std: str = "class"  # D's spread channel over the images of one class ("class") or groups of 4 ("group")


class CondBatchNorm(nn.Module):
    """Batch norm whose gain and bias depend on the class (de Vries et al. 2017)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(num_classes, channels)
        self.bias = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]


class Model(nn.Module):
    """The generator: G(z, y) -> (B,1,28,28) in [-1, 1]; sampling returns [0, 1]."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        w, k = config.width, config.num_classes
        self.embed = nn.Embedding(k, config.z_dim)
        self.fc = nn.Linear(2 * config.z_dim, 2 * w * 7 * 7)
        self.bn0 = CondBatchNorm(2 * w, k)
        self.conv1 = nn.Conv2d(2 * w, w, 3, padding=1)  # 14x14
        self.bn1 = CondBatchNorm(w, k)
        self.conv2 = nn.Conv2d(w, w // 2, 3, padding=1)  # 28x28
        self.bn2 = CondBatchNorm(w // 2, k)
        self.out = nn.Conv2d(w // 2, 1, 3, padding=1)

    def stages(self, z: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
        """Every stage's activations: 7x7, 14x14, 28x28 features, then the image in [-1, 1]."""
        h = self.fc(torch.cat([z, self.embed(y)], 1)).view(len(z), -1, 7, 7)  # (B, 2w, 7, 7)
        h0 = F.relu(self.bn0(h, y))
        h1 = F.relu(self.bn1(self.conv1(F.interpolate(h0, scale_factor=2.0)), y))  # (B, w, 14, 14)
        h2 = F.relu(self.bn2(self.conv2(F.interpolate(h1, scale_factor=2.0)), y))  # (B, w/2, 28, 28)
        return [h0, h1, h2, torch.tanh(self.out(h2))]

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.stages(z, y)[-1]

    def latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.config.z_dim, generator=generator)

    def decode(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(B, z_dim) noise -> (B,1,28,28) images in [0, 1]."""
        return (self(z, labels) + 1) / 2

    @torch.no_grad()
    def sample(self, labels: torch.Tensor, generator: torch.Generator, truncation: float = 1.0):
        """Images of ``labels``; ``truncation`` scales z towards 0 (less variety, more typical)."""
        return self.decode(self.latent(len(labels), generator) * truncation, labels)

    @torch.no_grad()
    def frames(self, labels: torch.Tensor, generator: torch.Generator, truncation: float = 1.0):
        """Coarse to fine: the mean activation at 7x7, 14x14 and 28x28, then the image."""
        z = self.latent(len(labels), generator) * truncation
        *features, image = self.stages(z, labels)
        for h in features:
            m = h.mean(1, keepdim=True)
            lo, hi = m.amin((2, 3), keepdim=True), m.amax((2, 3), keepdim=True)
            yield F.interpolate((m - lo) / (hi - lo + 1e-8), size=28, mode="nearest")
        yield (image + 1) / 2

    @torch.no_grad()
    def interpolate(self, z_a: torch.Tensor, z_b: torch.Tensor, labels: torch.Tensor, steps: int):
        """Images along the great circle from z_a to z_b (both (1, z_dim)), ``steps`` of them."""
        t = torch.linspace(0, 1, steps)[:, None]
        return self.decode(slerp(z_a, z_b, t), labels.expand(steps))


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: Gaussian noise lives near a sphere, so walk on it (White 2016)."""
    omega = torch.acos((F.normalize(a, dim=1) * F.normalize(b, dim=1)).sum(1, keepdim=True).clamp(-1, 1))
    so = torch.sin(omega)
    if so.abs().item() < 1e-6:  # parallel vectors: the straight line is the great circle
        return (1 - t) * a + t * b
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b


class Discriminator(nn.Module):
    """D(x, y) = psi(h) + <embed(y), h>, h = sum-pooled CNN features (projection head)."""

    def __init__(self, config: Config):
        super().__init__()
        w = config.d_width
        sn = spectral_norm
        self.body = nn.Sequential(
            sn(nn.Conv2d(1, w, 3, padding=1)), nn.LeakyReLU(0.1),
            sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.1),  # 14x14
            sn(nn.Conv2d(2 * w, 2 * w, 3, padding=1)), nn.LeakyReLU(0.1),
            sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.1),  # 7x7
            MinibatchStd(by_class=config.minibatch_std == "class"),
            sn(nn.Conv2d(4 * w + 1, 4 * w, 3, padding=1)), nn.LeakyReLU(0.1),
        )
        self.linear = sn(nn.Linear(4 * w, 1))
        self.embed = sn(nn.Embedding(config.num_classes, 4 * w))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = x
        for layer in self.body:
            h = layer(h, y) if isinstance(layer, MinibatchStd) else layer(h)
        h = h.sum((2, 3))  # (B, 4w)
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(1)


class Trainer:
    """Hinge loss (or, with config.loss, RpGAN), the optional mode-seeking term (config.mode_seeking),
    optional zero-centred R1 / R2 gradient penalties (config.r1, config.r2) and DiffAugment of
    D's inputs (config.augment); spectral-norm projection discriminator with minibatch std
    (config.minibatch_std), Adam (betas 0/0.9; lr 2e-4 for G, 4e-4 for D), one D step per G
    step, EMA generator (decay 0.999) whose batch-norm statistics are re-estimated at the end."""

    epochs = 5
    batch_size = 64
    ema_decay = 0.999
    trained = ("g", "d")  # what the step calls and trains (distributed.shared)

    def __init__(self, model: Model, total_steps: int, lr: float = 2e-4):
        if model.config.loss not in ("rpgan", "hinge"):
            raise ValueError(f"loss must be rpgan or hinge, got {model.config.loss!r}")
        if model.config.minibatch_std not in ("group", "class"):
            raise ValueError(f"minibatch_std must be group or class, got {model.config.minibatch_std!r}")
        self.g = model
        self.d = Discriminator(model.config)
        self.ema = copy.deepcopy(model).requires_grad_(False)
        # two time-scale update rule (Heusel et al. 2017): the discriminator learns faster
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=lr, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=2 * lr, betas=(0.0, 0.9))
        self.steps = 0

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        """max_D, from D's scores of paired real and fake images (B,) each. RpGAN: the real one
        of each pair should score higher. Hinge: real above 1, fake below -1."""
        if self.g.config.loss == "hinge":
            return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()
        return F.softplus(fake_scores - real_scores).mean()

    def g_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        """min_G: the fake of each pair should score higher than its real image (hinge: raise
        D's score of the fakes)."""
        if self.g.config.loss == "hinge":
            return -fake_scores.mean()
        return F.softplus(real_scores - fake_scores).mean()

    @staticmethod
    def mode_spread(fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """MSGAN's ratio (Mao et al. 2019): how far apart two images of one class are for how far
        apart their noise is, |G(z1|y) - G(z2|y)| / |z1 - z2| over the pairs (i, i + B/2). G
        maximises it, so nearby z may not all give the same image."""
        half = len(fake) // 2
        images = (fake[:half] - fake[half: 2 * half]).abs().mean()
        return images / (z[:half] - z[half: 2 * half]).abs().mean()

    @staticmethod
    def gradient_penalty(scores: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """E |grad_x D(x)|^2, zero-centred (R1 on real inputs, R2 on fake ones), differentiable."""
        grad, = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
        return grad.pow(2).sum((1, 2, 3)).mean()

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.g.train()
        self.d.train()
        cfg = self.g.config
        z = self.g.latent(len(x), generator).to(x.device)  # the same noise on any device
        y_fake = y  # mode seeking: fakes in pairs of one class, i and i + B/2 share a label
        if cfg.mode_seeking > 0 and len(y) % 2 == 0:
            y_fake = y[: len(y) // 2].repeat(2)
        fake = self.g(z, y_fake)
        # D sees augmented images; the penalties are on the images D sees
        real_in = diff_augment(x, cfg.augment, generator).detach().requires_grad_(cfg.r1 > 0)
        fake_in = diff_augment(fake.detach(), cfg.augment, generator).requires_grad_(cfg.r2 > 0)
        real_s, fake_s = self.d(real_in, y), self.d(fake_in, y_fake)
        loss_d = self.d_loss(real_s, fake_s)
        logs = {"loss_d": loss_d.item()}
        for gamma, scores, inputs, name in ((cfg.r1, real_s, real_in, "r1"), (cfg.r2, fake_s, fake_in, "r2")):
            if gamma > 0:
                penalty = self.gradient_penalty(scores, inputs)
                loss_d = loss_d + gamma / 2 * penalty
                logs[name] = penalty.item()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        # the real scores of the pairs as D gave them a moment ago (no gradient to G through them)
        loss_g = self.g_loss(real_s.detach(), self.d(diff_augment(fake, cfg.augment, generator), y_fake))
        if cfg.mode_seeking > 0:
            spread = self.mode_spread(fake, z)
            loss_g = loss_g + cfg.mode_seeking / (spread + 1e-5)
            logs["spread"] = spread.item()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.steps += 1
        decay = min(self.ema_decay, (1 + self.steps) / (10 + self.steps))  # warm-up
        with torch.no_grad():
            for pe, p in zip(self.ema.parameters(), self.g.parameters()):
                pe.lerp_(p, 1 - decay)
        return {**logs, "loss_g": loss_g.item()}

    def state_dict(self) -> dict:
        return {"g": self.g.state_dict(), "d": self.d.state_dict(), "ema": self.ema.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        for name in ("g", "d", "ema", "opt_g", "opt_d"):
            getattr(self, name).load_state_dict(state[name])
        self.steps = state["steps"]

    @torch.no_grad()
    def inference_model(self, x=None, y=None, batches: int = 40, batch_size: int = 250) -> Model:
        """The EMA generator with batch-norm statistics measured on its own outputs."""
        ema = self.ema
        for m in ema.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the batches below
        ema.train()
        gen = torch.Generator().manual_seed(0)
        for _ in range(batches):
            y = torch.randint(0, ema.config.num_classes, (batch_size,), generator=gen)
            ema(ema.latent(batch_size, gen), y)
        return ema.eval()

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality

        return sample_quality(model, dataset, data_dir=data_dir)
