"""Latent diffusion (Rombach et al. 2022, "High-Resolution Image Synthesis with Latent Diffusion
Models": the "L" of Stable Diffusion): denoise in a small learned latent space, not in pixels.

An autoencoder maps each 28x28 image to a 7x7 grid of ``latent_channels`` numbers and back
(``AutoEncoder``; KL-regularised as Stable Diffusion's, so its codes stay near a Gaussian and
have no holes). A flow-matching model (``flow.py``'s path, loss and samplers) then learns the
class-conditional distribution of those codes, on a network that sees 196 numbers (7x7x4; 392 with
8 channels) instead of 784 pixels. Sampling runs the ODE in latent space and decodes once at the end:

    p(x | y) = integral of p_decoder(x | z) p_flow(z | y) dz

The network at 7x7 (``LatentNet``: residual blocks and self-attention over the 49 positions, no
down-sampling) costs a fraction of the pixel UNet per evaluation; the price is that every image
is only as good as the decoder can make it (the tab shows the autoencoder's reconstructions).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import Option
from .flow import OPTIONS as FLOW_OPTIONS
from .flow import flow_matching_loss
from .flow import Model as FlowModel
from .flow import Trainer as FlowTrainer
from .unet import Attention, ResBlock, norm, timestep_embedding
from .vqvae import ResBlock as ConvBlock

TITLE = "Latent diffusion"
SUMMARY = ("Squeeze each image into a 7×7 grid of numbers with an autoencoder, denoise in that small space, "
           "then decode: the recipe of Stable Diffusion.")
# the flow's sampler, steps and guidance, in latent space; benchmarks/latent_sweep.py found the
# Flow matching family's own default best here too (DPM-Solver++ 10 steps, guidance 3 at t 0.5-0.7)
DEFAULTS = {"sampler": "dpm++", "steps": 10, "guidance": 3.0, "guide_from": 0.7, "guide_to": 0.5}
OPTIONS: tuple[Option, ...] = tuple(dataclasses.replace(o, default=DEFAULTS[o.name]) for o in FLOW_OPTIONS)
# The tests' config (the real code at a size that runs in milliseconds), and the class accuracy
# the shipped checkpoints' samples must keep (issue #15).
TINY = dict(latent_channels=2, ae_width=4, width=8, blocks=2, emb=8)
BARS = {"mnist": 0.97, "fashion": 0.90}


@dataclass
class Config:
    latent_channels: int = 4  # the latent grid is 7x7 x this
    ae_width: int = 32  # channels of the autoencoder's first conv (twice that at 7x7)
    kl: float = 1e-3  # weight of the KL term (per image, in nats) against the reconstruction's
    detail_blocks: int = 0  # the decoder's residual blocks at 14x14 and again at 28x28 (fine detail)
    width: int = 64  # channels of the latent denoiser (4x fewer FLOPs per evaluation than the pixel UNet)
    blocks: int = 4  # its residual blocks (self-attention after the middle one)
    emb: int = 128  # time + class embedding
    num_classes: int = 10


class Refine(nn.Module):
    """x + conv(relu(conv(relu(x)))): a residual block of two full 3x3 convolutions."""

    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x):
        return x + self.body(x)


class AutoEncoder(nn.Module):
    """28x28 in [0,1] -> a Gaussian over 7x7 x c codes (mean, log-variance) -> 28x28 logits.
    With ``k`` detail blocks the decoder also refines at 14x14 and at 28x28 (k ``Refine`` blocks
    each) before its last layer, instead of going straight from 7x7 features to pixels."""

    def __init__(self, c: int, w: int, k: int = 0):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.ReLU(),  # 14x14
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(),  # 7x7
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), ConvBlock(2 * w), ConvBlock(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * c, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(c, 2 * w, 3, padding=1), ConvBlock(2 * w), ConvBlock(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1),  # 14x14
            *([nn.ReLU(), nn.ConvTranspose2d(w, 1, 4, 2, 1)] if k == 0 else  # 28x28
              [*(Refine(w) for _ in range(k)), nn.ReLU(), nn.ConvTranspose2d(w, w // 2, 4, 2, 1),
               *(Refine(w // 2) for _ in range(k)), nn.ReLU(), nn.Conv2d(w // 2, 1, 3, padding=1)]))

    def encode(self, x01: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.encoder(x01 * 2 - 1).chunk(2, 1)
        return mean, logvar.clamp(-20, 5)

    def forward(self, x01: torch.Tensor, generator: torch.Generator):
        """Training's pass: (reconstruction logits, code means, code log-variances), decoding a
        code drawn from the encoder's Gaussian."""
        mean, logvar = self.encode(x01)
        eps = torch.randn(mean.shape, generator=generator).to(mean.device)
        return self.decoder(mean + (0.5 * logvar).exp() * eps), mean, logvar


class LatentNet(nn.Module):
    """(z_t (B,c,7,7), t, y) -> the velocity at z_t, all at 7x7."""

    def __init__(self, c: int, width: int, blocks: int, emb: int, num_classes: int):
        super().__init__()
        self.emb_dim, self.null_class = emb, num_classes
        self.time = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label = nn.Embedding(num_classes + 1, emb)  # the last entry: no class
        self.inp = nn.Conv2d(c, width, 3, padding=1)
        self.blocks = nn.ModuleList([ResBlock(width, width, emb) for _ in range(blocks)])
        self.attn = Attention(width)
        self.out = nn.Sequential(norm(width), nn.SiLU(), nn.Conv2d(width, c, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, z: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        e = self.time(timestep_embedding(t, self.emb_dim)) + self.label(y)
        h = self.inp(z)
        for i, block in enumerate(self.blocks):
            h = block(h, e)
            if i == len(self.blocks) // 2 - 1:
                h = self.attn(h)
        return self.out(h)


class Model(FlowModel):
    inpaint = None  # the mask marks pixels; this family does not denoise pixels step by step
    defaults = DEFAULTS

    def __init__(self, config: Config):
        c = config.latent_channels
        super().__init__(config, LatentNet(c, config.width, config.blocks, config.emb, config.num_classes))
        self.shape = (c, 7, 7)
        self.ae = AutoEncoder(c, config.ae_width, config.detail_blocks)
        # codes are shifted and scaled to zero mean and unit variance per channel (measured on
        # the training set's codes when the autoencoder is done), as the flow's noise is
        self.register_buffer("shift", torch.zeros(c))
        self.register_buffer("scale", torch.ones(c))

    def to_latent(self, x01: torch.Tensor) -> torch.Tensor:
        """Images (B,1,28,28) in [0,1] -> their normalised codes (the encoder's means)."""
        mean, _ = self.ae.encode(x01)
        return (mean - self.shift[:, None, None]) / self.scale[:, None, None]

    def picture(self, z: torch.Tensor) -> torch.Tensor:
        """Normalised codes (B,c,7,7) -> the decoded images (B,1,28,28) in [0,1]."""
        return torch.sigmoid(self.ae.decoder(z * self.scale[:, None, None] + self.shift[:, None, None]))

    @torch.no_grad()
    def reconstruct(self, x01: torch.Tensor, labels=None) -> torch.Tensor:
        """Images through the autoencoder and back: what the latent space keeps of them."""
        return self.picture(self.to_latent(x01))


class Trainer(FlowTrainer):
    """Two stages in one run. First 1/4 of the steps: the autoencoder, with binary cross-entropy
    of the reconstruction (summed over the pixels) + kl x the KL divergence of the codes from
    N(0, I) (Adam 1e-3); then the codes are normalised per channel and frozen, and the rest train
    the latent network by conditional flow matching on them (as the Flow matching family: x_t =
    (1 - t) z + t eps, velocity target eps - z, t logit-normal, the class dropped 10% of the time;
    AdamW 1e-3 with 200 warm-up steps and cosine decay to a tenth, clipping at 1, bfloat16
    autocast where the device has it; samples from an EMA of the weights, decay up to 0.999)."""

    epochs = 24
    batch_size = 128
    ae_share = 1 / 4
    trained = ("model.ae", "model.net")  # what the step calls and trains (distributed.shared)

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        self.split = min(max(1, round(total_steps * self.ae_share)), max(total_steps - 1, 1))
        super().__init__(model, max(total_steps - self.split, 1), lr)
        self.ae_opt = torch.optim.Adam(model.ae.parameters(), lr=lr)
        self.seen = 0  # steps taken in all, both stages

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.seen += 1
        x01 = (x + 1) / 2
        if self.seen <= self.split:
            return self._autoencoder_step(x01, generator)
        model = self.model
        if self.seen == self.split + 1:
            self._normalise(x01)
        with torch.no_grad():
            z = model.to_latent(x01)
        loss = flow_matching_loss(model.net.train(), z, y, generator, self.drop_class)
        self.update(loss)
        return {"loss": loss.item()}

    def _autoencoder_step(self, x01: torch.Tensor, generator: torch.Generator) -> dict:
        logits, mean, logvar = self.model.ae.train()(x01, generator)
        recon = F.binary_cross_entropy_with_logits(logits, x01, reduction="none").sum((1, 2, 3)).mean()
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum((1, 2, 3)).mean()
        self.ae_opt.zero_grad(set_to_none=True)
        (recon + self.model.config.kl * kl).backward()
        self.ae_opt.step()
        mse = (torch.sigmoid(logits.detach()) - x01).pow(2).mean().item()
        return {"recon_mse": mse, "kl_nats": kl.item()}

    @torch.no_grad()
    def _normalise(self, x01: torch.Tensor) -> None:
        """Freeze the autoencoder and set the codes' shift and scale from this batch's."""
        model = self.model
        model.ae.eval().requires_grad_(False)
        mean, _ = model.ae.encode(x01)
        model.shift.copy_(mean.mean((0, 2, 3)))
        model.scale.copy_(mean.std((0, 2, 3)).clamp_min(1e-4))

    def state_dict(self) -> dict:
        return {**super().state_dict(), "ae_opt": self.ae_opt.state_dict(), "seen": self.seen, "split": self.split}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.ae_opt.load_state_dict(state["ae_opt"])
        self.seen, self.split = int(state["seen"]), int(state["split"])
        if self.seen > self.split:
            self.model.ae.eval().requires_grad_(False)

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from .. import scores
        from ..data import load_tensors
        from ..metrics import sample_quality

        test, _ = load_tensors(dataset, "test", data_dir)
        train, _ = load_tensors(dataset, "train", data_dir)
        test01, train01 = (test + 1) / 2, (train[:len(test)] + 1) / 2
        recon = torch.cat([model.reconstruct(test01[i:i + 1000]) for i in range(0, len(test01), 1000)])
        # the decoder's own FID: training images through the autoencoder against the test set,
        # beside the same training images as they are (the floor); no sample scores below it
        ruler = scores.RULERS[0]
        real, _ = scores.embed(dataset, test01, ruler)
        seen, _ = scores.embed(dataset, train01, ruler)
        through, _ = scores.embed(dataset, torch.cat(
            [model.reconstruct(train01[i:i + 1000]) for i in range(0, len(train01), 1000)]), ruler)
        return {**sample_quality(model, dataset, data_dir=data_dir),
                "autoencoder": {"test_mse": round((recon - test01).pow(2).mean().item(), 5),
                                "ruler": ruler, "fid": round(scores.fid(through, real), 2),
                                "fid_floor": round(scores.fid(seen, real), 2)}}
