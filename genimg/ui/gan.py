"""The GAN tab: sample, look inside the generator, and walk between two seeds."""
from __future__ import annotations

import gradio as gr

from .. import explore, render
from ..models import gan
from .common import MODEL_QUEUE, api_names, class_dropdown, how_it_works, option_sliders, sample_panel, seed_input, user_errors
from .picture import picture, cache_file

HOW = r"""
A **generator** $G$ turns noise $z \sim \mathcal{N}(0, I)$ and a class $y$ into an image; a
**discriminator** $D$ scores how real an image of class $y$ looks. They play a min-max game
(Goodfellow et al. 2014):

$$\min_G \max_D \; \mathbb{E}_{x}\big[\log D(x \mid y)\big] + \mathbb{E}_{z}\big[\log\big(1 - D(G(z \mid y) \mid y)\big)\big]$$

genimg trains its hinge form, which is steadier: `Trainer.d_loss` pushes $D(x)\ge 1$ on real
images and $D(G(z))\le -1$ on fakes, and `Trainer.g_loss` $= -\,\mathbb{E}[D(G(z))]$ pushes the
generator to raise the score of its fakes. $G$ never sees a real image: it learns only from
$D$'s gradient. What keeps the game stable here:

- **Projection discriminator** (`Discriminator.forward`): $D(x, y) = \psi(h) + \langle e_y, h\rangle$ —
  the class enters as an inner product with the image features $h$.
- **Spectral normalisation** of every layer of $D$, so its scores cannot change abruptly.
- **Minibatch standard deviation** (`MinibatchStd`): $D$ also sees how much the batch's images of
  each class differ, so a generator that draws the same image for every $z$ is caught. This is
  what fixed the GAN's mode dropping. Over groups of four images of mixed classes (the older
  recipe) the spread never falls to zero, since the classes differ anyway: by step 188 of
  training every seed of a class gave one image, and the finished GAN covered little of the data
  (recall 0.29 on MNIST, 0.11 on Fashion-MNIST). Over each class's images: recall 0.67 and 0.51,
  FID 2.6 and 4.2 instead of 6.4 and 12.3 (README, GAN section).
- **Class-conditional batch norm** in $G$ (`CondBatchNorm`): the class sets each layer's gain and bias.
- **EMA generator**: samples come from a running average of $G$'s weights, smoother than any one step.

*Truncation* $\psi$ scales $z$: $\psi = 0$ gives the class's "average" image, $\psi = 1$ its full
variety. The default 0.9 gives up a little variety for more typical images (on Fashion-MNIST,
91.8% of the samples are their class instead of 90.0%). *Interpolation* walks the great circle
between two noise vectors (`slerp`), since Gaussian noise in 64 dimensions lives near a sphere —
a straight line would pass through its unlikely centre.
"""


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{gan.SUMMARY}** One forward pass of the generator per image.")
    sample_panel("gan", dataset, process_label="Inside the generator (first image): mean activation "
                                               "at 7×7, 14×14, 28×28, then the output")
    with gr.Accordion("Interpolate between two seeds", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                label = class_dropdown(dataset, all_label=None, value=3)
                seed_a = seed_input(6, "Seed A")
                seed_b = seed_input(8, "Seed B")
                steps = gr.Slider(2, explore.MAX_STEPS, value=10, step=1, label="Images along the path")
                (truncation,) = option_sliders("gan")
                go = gr.Button("Interpolate", variant="primary")
            with gr.Column(scale=2):
                path_strip = picture(label="From seed A to seed B")
                animation = picture(label="Animated", height=200)

    @user_errors
    @api_names("dataset", "label", "seed_a", "seed_b", "frames", "truncation")
    def interpolate(dataset_key, label_value, a, b, k, psi):
        frames = explore.interpolate("gan", dataset_key, label_value, a, b, k, psi)
        name = f"gan-{dataset_key}-{label_value}-seeds{a}-{b}.gif"
        return render.strip(frames, scale=3), cache_file(render.gif(frames), name)

    go.click(interpolate, [dataset, label, seed_a, seed_b, steps, truncation], [path_strip, animation],
             api_name="interpolate_gan", concurrency_id=MODEL_QUEUE)
    how_it_works(HOW)
