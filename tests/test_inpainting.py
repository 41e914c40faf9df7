"""Inpainting any region with the pixel denoisers (RePaint-style): the kept pixels come back exactly,
the filled ones make the class asked for, an empty and a full mask behave, bad masks are refused,
and the tabs' /inpaint_<family> endpoints answer."""
import numpy as np
import pytest
import torch

from genimg import painting, pipeline
from genimg.models import diffusion, flow

PIXEL_FAMILIES = ("diffusion", "flow")
CENTRE = np.pad(np.zeros((14, 14), bool), 7, constant_values=True)  # keep all but the middle 14x14 pixels
SAME_CLASS_RATE = 0.9  # the middle filled as the picture's own class (measured 19-20 of 20 per family and dataset)


def test_only_the_pixel_denoisers_and_maskgit_fill_any_region():
    assert painting.inpainters() == ("diffusion", "flow", "maskgit")
    for family in ("latent", "distilled", "transformer", "pixelcnn", "gan", "vae"):
        with pytest.raises(ValueError, match=f"{family} cannot fill in any region; the families that can are "
                                             "diffusion, flow, maskgit"):
            painting.inpaint(family, "mnist", np.zeros((28, 28), np.uint8), CENTRE, 3)


@pytest.mark.parametrize("model", [diffusion.Model(diffusion.Config(**diffusion.TINY)),
                                   flow.Model(flow.Config(**flow.TINY))], ids=PIXEL_FAMILIES)
def test_the_kept_pixels_come_back_exactly_whatever_the_network(model):
    """An untrained network: the region outside the mask is the start's, to the last bit."""
    given = torch.rand(3, 1, 28, 28).mul(255).round().div(255)
    keep = torch.from_numpy(CENTRE)
    options = {"steps": 4} if model.__class__ is flow.Model else {"steps": 4, "sampler": "ddim"}
    out = model.eval().inpaint(given, keep, torch.tensor([1, 2, 3]), torch.Generator().manual_seed(0), **options)
    assert torch.equal(out[:, :, keep].mul(255).round(), given[:, :, keep].mul(255))
    assert not torch.equal(out[:, :, ~keep], given[:, :, ~keep])
    nothing = torch.zeros(28, 28, dtype=torch.bool)  # everything painted: a plain sample of the class
    plain = model.sample(torch.tensor([1, 2, 3]), torch.Generator().manual_seed(0), **options)
    again = model.inpaint(given, nothing, torch.tensor([1, 2, 3]), torch.Generator().manual_seed(0), **options)
    assert torch.allclose(plain, again)


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
@pytest.mark.parametrize("family", PIXEL_FAMILIES)
def test_the_shipped_denoisers_fill_the_middle_with_the_class_asked(family, dataset):
    images, labels = pipeline.examples(dataset)
    agree = 0
    for c in range(10):
        start = images[labels == c][0]
        out = painting.inpaint(family, dataset, start, CENTRE, c, count=2, seed=0)
        assert (out["completions"][:, CENTRE] == start[CENTRE]).all()  # pixel-exact outside the mask
        assert out["hidden"] == 196 and (out["kept"][~CENTRE] == 0).all()
        agree += sum(out["agree"])
    assert agree / 20 >= SAME_CLASS_RATE


def test_empty_full_and_bad_masks():
    start = pipeline.examples("mnist")[0][0]
    with pytest.raises(ValueError, match="nothing to fill in: mark at least one part of the image"):
        painting.inpaint("flow", "mnist", start, np.ones((28, 28), bool), 3)
    full = painting.inpaint("flow", "mnist", start, np.zeros((28, 28), bool), 3, count=2, seed=0)
    assert full["hidden"] == 784 and full["agree"] == [True, True]  # nothing kept: a sample of class 3
    for bad, message in ((np.ones((7, 7), bool), "28x28 grid of true/false, got bool of shape \\(7, 7\\)"),
                         (np.ones((28, 28), np.uint8), "28x28 grid of true/false, got uint8")):
        with pytest.raises(ValueError, match=message):
            painting.inpaint("diffusion", "mnist", start, bad, 3)
    with pytest.raises(ValueError, match="count must be"):
        painting.inpaint("diffusion", "mnist", start, CENTRE, 3, count=0)


def painted(tmp_path):
    """An ImageEditor value over the 280x280 canvas with strokes over pixels 8-19 in both directions."""
    from gradio_client import handle_file
    from PIL import Image

    strokes = np.zeros((280, 280, 4), np.uint8)
    strokes[80:200, 80:200] = (224, 48, 48, 255)
    layer, paper = tmp_path / "strokes.png", tmp_path / "paper.png"
    Image.fromarray(strokes).save(layer)
    Image.fromarray(np.zeros((280, 280, 4), np.uint8)).save(paper)
    return {"background": handle_file(str(paper)), "layers": [handle_file(str(layer))],
            "composite": handle_file(str(paper))}


@pytest.mark.parametrize("family, options", [("diffusion", ("dpm++", 10, 2.0, 0.8, 0.2)),
                                             ("flow", ("dpm++", 10, 3.0, 0.7, 0.5))])
def test_the_tabs_fill_a_painted_region(client, tmp_path, family, options):
    from PIL import Image

    sheet, text = client.predict("mnist", "test", 7, 1, None, painted(tmp_path), 2, 0, *options,
                                 api_name=f"/inpaint_{family}")
    assert "144 of 784 pixels filled in 2 times" in text and Image.open(sheet).format == "PNG"
    with pytest.raises(Exception, match="Steps must be a number between 1 and"):
        client.predict("mnist", "test", 7, 1, None, painted(tmp_path), 2, 0, options[0], 0, *options[2:],
                       api_name=f"/inpaint_{family}")
