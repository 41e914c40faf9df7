"""One step: a student distilled from the Flow matching family, that draws in 1, 2 or 4 network
passes what its teacher draws in 11 (rectified-flow reflow, Liu et al. 2023, trained straight
away on the teacher's pairs as InstaFlow's distillation does, Liu et al. 2024).

The teacher's ODE is deterministic: from the noise eps and the class y, its sampler (at its
default options, guidance included) always draws the same image x = T(eps, y). The student
learns that map. It is the teacher's UNet less one block (the first at full resolution, a fifth
of a pass's time: block removal as in BK-SDM, Kim et al. 2023), starting from the teacher's
other weights, trained on pairs (eps, y, T(eps, y)) drawn once before training
(``teacher_pairs``), to move along the *straight* line from each pair's noise to its image,
x_t = (1 - t) x + t eps, with the constant velocity eps - x:

    loss = || v_student(x_t, t, y) - (eps - T(eps, y)) ||^2,   t in {1, 3/4, 1/2, 1/4}

(``distillation_loss``; half of the batch at t = 1, the one-step case). Where the teacher's
path from eps bends, the student's is straight, so one Euler step, x = eps - v(eps, 1, y),
lands where the teacher's eleven land; 2 and 4 steps walk the same line and can correct the
first step's error. The guidance is distilled in too: the student takes one pass a step, with
the class, where the teacher took two. What is lost: the student knows only the images its
teacher drew from these pairs, and a squared error averages what it cannot tell apart (blur).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

import torch.nn.functional as F

from . import Option, autocast
from .gan import Config as CriticConfig
from .gan import Discriminator
from .flow import OPTIONS as TEACHER_OPTIONS
from .flow import TIME_SCALE
from .flow import Config as FlowConfig
from .flow import Model as FlowModel
from .unet import EmaTrainer, UNet

TITLE = "One step"
SUMMARY = ("A student that learned, from the Flow matching model, to draw in one network pass what the "
           "teacher draws in eleven.")
OPTIONS = (
    Option("steps", "Steps", 1, 1, 4, 1, "network passes of the student: 1 (one step), 2 or 4 along its "
           "straight line from noise to image", integer=True),
)
BUILDS_ON = ("flow",)  # the teacher: its shipped checkpoint draws the pairs the student learns from
TEACHER = BUILDS_ON[0]
TRAINED_AT = (1.0, 0.75, 0.5, 0.25)  # the times the student practises: the starts of 1, 2 and 4 even steps

# The tests' config (the real code at a size that runs in milliseconds), and the class accuracy
# the shipped checkpoints' one-step samples must keep (issue #16).
TINY = dict(widths=(4, 8, 8), emb=8, pairs=8)
BARS = {"mnist": 0.97, "fashion": 0.90}


@dataclass
class Config:
    widths: tuple = (24, 48, 96)  # the teacher's UNet, whose weights the student starts from
    emb: int = 128
    attention: bool = True
    # the teacher's block at full resolution on the way down is left out: one pass costs a fifth
    # less (benchmarks/distilled_speed.py), and the distillation retrains the rest around the gap
    first_block: bool = False
    num_classes: int = 10
    pairs: int = 30000  # (noise, class, teacher's image) pairs drawn before training
    adversary: float = 0.0  # weight of a critic's verdict on the one-step images (0: the squared error alone)


class Model(FlowModel):
    """The Flow matching family's model, sampled by Euler steps without guidance (the teacher's
    guidance is in the weights): ``steps`` passes, evenly spaced in t."""

    inpaint = None  # one jump from noise: no steps to put the kept pixels back into
    defaults = {"sampler": "euler", "steps": 1, "guidance": 1.0, "guide_from": 1.0, "guide_to": 0.0}

    def __init__(self, config: Config):
        c = config
        super().__init__(c, UNet(tuple(c.widths), c.emb, c.num_classes, c.attention, c.first_block))

    def settings(self, options: dict) -> tuple:
        if set(options) - {"steps"}:
            raise TypeError(f"unknown option {sorted(set(options) - {'steps'})[0]!r}; the options are steps")
        return super().settings(options)

    @torch.no_grad()
    def frames(self, labels, generator, **options):
        """The noise it starts from, then the canvas after each step (the last: the sample)."""
        noise = torch.randn(len(labels), *self.shape, generator=generator)
        yield self.picture(noise)
        for step in self.stream(labels, generator, noise=noise, **options):
            yield step.canvas


@torch.no_grad()
def teacher_pairs(teacher: FlowModel, n: int, seed: int = 0, batch: int = 250) -> dict:
    """``n`` pairs drawn by ``teacher`` at its default options: noise (n,1,28,28), classes (n,)
    (0-9 in turn), and the image its ODE takes that noise to (n,1,28,28), in [-1, 1]."""
    teacher.eval()
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % teacher.net.null_class
    noise = torch.randn(n, *teacher.shape, generator=g)
    images = torch.cat([teacher.sample(labels[i:i + batch], g, noise=noise[i:i + batch])
                        for i in range(0, n, batch)])
    return {"noise": noise, "labels": labels, "images": images * 2 - 1}


def distillation_loss(net, noise: torch.Tensor, images: torch.Tensor, y: torch.Tensor,
                      generator: torch.Generator, one_step: list | None = None) -> torch.Tensor:
    """|| v(x_t, t, y) - (noise - image) ||^2 on the straight line from each pair's image (t = 0)
    to its noise (t = 1); t = 1 for half of the batch, else 3/4, 1/2 or 1/4. With ``one_step``
    (a list), the one-step images noise - v of the t = 1 half and their classes are put in it."""
    b = len(noise)
    pick = torch.randint(1, len(TRAINED_AT), (b,), generator=generator)
    pick = pick.where(torch.rand(b, generator=generator) >= 0.5, 0)
    t = torch.tensor(TRAINED_AT)[pick].to(noise.device)
    tt = t.view(-1, 1, 1, 1)
    with autocast(noise.device):
        v = net((1 - tt) * images + tt * noise, t * TIME_SCALE, y)
    if one_step is not None:
        first = pick == 0
        one_step += [noise[first] - v.float()[first], y[first]]
    return (v.float() - (noise - images)).pow(2).mean()


class Trainer(EmaTrainer):
    """The student starts as the Flow matching family's shipped checkpoint (the teacher, named
    with its sha256 in the card) less the teacher's first block at full resolution. Before the
    first step, the teacher draws ``pairs`` images from fixed noise at its default options
    (DPM-Solver++ 10 steps, guidance 3 in the middle of the path: 11 passes an image; classes
    in turn; kept in the runs folder for the next student of that teacher). Each step then takes 128
    random pairs and trains the student on the straight line from noise to the teacher's image
    (t = 1 for half of them, else 3/4, 1/2 or 1/4; the training images themselves are not
    used). AdamW 5e-4 with 200 warm-up steps and cosine decay to a tenth, clipping at 1,
    bfloat16 autocast where the device has it; samples from an EMA of the weights (decay up to
    0.999). Why this recipe and not consistency or progressive distillation: on a CPU a step
    costs its network passes; the teacher's 11 passes are paid once per pair, then each step is
    one regression pass on the one-step target itself, where consistency distillation pays a
    guided teacher step and a target pass at every step and progressive distillation needs four
    halving rounds (11 -> 6 -> 3 -> 2 -> 1)."""

    epochs = 12  # passes' worth of steps over the 60,000 training images (468 steps each)
    batch_size = 128
    trained = ("model.net", "critic")  # what the step calls and trains (distributed.shared)

    def __init__(self, model: Model, total_steps: int, lr: float = 5e-4):
        super().__init__(model, total_steps, lr)
        # a Flow matching model, sampled at that family's defaults; without ``build_on`` (the
        # tests) it has the student's starting weights
        c = model.config
        self.teacher = FlowModel(FlowConfig(tuple(c.widths), c.emb, c.attention, c.num_classes))
        self.teacher.net.load_state_dict(model.net.state_dict(), strict=False)  # a dropped block: identity
        self.teacher.eval().requires_grad_(False)
        self.pairs: dict | None = None
        self.pairs_file = None  # where ``build_on`` keeps the teacher's pairs for the next student
        # the critic: the GAN family's discriminator, real training images against one-step ones
        self.critic = Discriminator(CriticConfig(num_classes=model.config.num_classes))
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=4e-4, betas=(0.0, 0.9))

    def build_on(self, dataset: str, root=None, fresh: bool = True) -> dict:
        """Load the teacher's shipped checkpoint for ``dataset``; a ``fresh`` student (not one
        continued from its own checkpoint) starts from the teacher's weights."""
        from .. import checkpoint
        from . import flow

        teacher, card = checkpoint.load(TEACHER, dataset, flow.Config, flow.Model, root)
        self.teacher = teacher.eval().requires_grad_(False)
        if fresh:  # the teacher's weights, less those of the blocks the student leaves out
            kept = {k: v for k, v in teacher.net.state_dict().items() if k in self.model.net.state_dict()}
            self.model.net.load_state_dict(kept)
            self.ema.load_state_dict(kept)
        n = self.model.config.pairs
        self.pairs_file = checkpoint.RUNS_DIR / dataset / f"teacher-pairs-{card['sha256'][:16]}-{n}.safetensors"
        options = {o.name: o.default for o in TEACHER_OPTIONS}
        return {"teacher": {"family": TEACHER, "dataset": dataset, "sha256": card["sha256"], "options": options,
                            "pairs": self.model.config.pairs}}

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        if self.pairs is None:
            self.pairs = self.drawn_pairs()
        idx = torch.randint(0, self.model.config.pairs, (self.batch_size,), generator=generator)
        on = x.device
        p = {k: v[idx].to(on) for k, v in self.pairs.items()}
        weight, one_step = self.model.config.adversary, []
        loss = distillation_loss(self.model.net.train(), p["noise"], p["images"], p["labels"], generator,
                                 one_step if weight else None)
        if not weight:
            self.update(loss)
            return {"loss": loss.item()}
        fake, fake_y = one_step
        fool = -self.critic(fake, fake_y).mean()  # the student wants its one-step images scored real
        # the critic's pull scaled to the squared error's at the last layer (Esser et al. 2021)
        last = self.model.net.out[-1].weight
        g_loss, = torch.autograd.grad(loss, last, retain_graph=True)
        g_fool, = torch.autograd.grad(fool, last, retain_graph=True)
        w = (weight * g_loss.norm() / (g_fool.norm() + 1e-8)).clamp(max=1e4).detach()
        self.update(loss + w * fool)
        hinge = (F.relu(1 - self.critic(x, y)).mean() + F.relu(1 + self.critic(fake.detach(), fake_y)).mean())
        self.critic_opt.zero_grad(set_to_none=True)
        hinge.backward()
        self.critic_opt.step()
        return {"loss": loss.item(), "critic_hinge": hinge.item(), "critic_weight": w.item()}

    def drawn_pairs(self) -> dict:
        """The teacher's pairs: drawn once per teacher checkpoint and number of pairs, then read
        back from the runs folder by every later student of that teacher (they are the same)."""
        from .. import checkpoint

        if self.pairs_file is not None and self.pairs_file.exists():
            return checkpoint.load_state(self.pairs_file)
        pairs = teacher_pairs(self.teacher, self.model.config.pairs)
        if self.pairs_file is not None:
            checkpoint.save_state(self.pairs_file, pairs)
        return pairs

    def state_dict(self) -> dict:
        return {**super().state_dict(), "critic": self.critic.state_dict(), "critic_opt": self.critic_opt.state_dict(),
                **({"pairs": self.pairs} if self.pairs is not None else {})}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.pairs = state.get("pairs")
        if "critic" in state:
            self.critic.load_state_dict(state["critic"])
            self.critic_opt.load_state_dict(state["critic_opt"])

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality

        return sample_quality(model, dataset, data_dir=data_dir)
