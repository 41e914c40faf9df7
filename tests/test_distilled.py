"""The One step family: a student distilled from the Flow matching family that samples in 1, 2 or
4 network passes, trained on its teacher's (noise, image) pairs."""
import pytest
import torch

from genimg import models
from genimg.models import distilled, flow


def tiny():
    torch.manual_seed(0)
    return distilled.Model(distilled.Config(**distilled.TINY)).eval()


def test_one_step_sampling_calls_the_network_once_per_image():
    model = tiny()
    seen = []
    model.net.register_forward_hook(lambda m, args, out: seen.append(len(args[0])))
    out = model.sample(torch.tensor([1, 2, 3]), torch.Generator().manual_seed(0))
    assert out.shape == (3, 1, 28, 28) and seen == [3] and model.nfe() == 1
    seen.clear()
    model.sample(torch.tensor([1, 2, 3]), torch.Generator().manual_seed(0), steps=4)
    assert seen == [3] * 4 and model.nfe(steps=4) == 4


def test_one_step_is_one_euler_step_along_the_velocity():
    model = tiny()
    labels = torch.tensor([4, 7])
    noise = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        v = model.net(noise, torch.full((2,), 1.0 * flow.TIME_SCALE), labels)
    out = model.sample(labels, torch.Generator().manual_seed(1))
    assert torch.allclose(out, ((noise - v + 1) / 2).clamp(0, 1), atol=1e-6)


def test_only_the_step_count_is_an_option():
    model = tiny()
    with pytest.raises(TypeError, match="unknown option 'guidance'"):
        model.sample(torch.tensor([1]), torch.Generator().manual_seed(0), guidance=3.0)
    assert [o.name for o in distilled.OPTIONS] == ["steps"]


def test_teacher_pairs_are_the_teachers_own_samples_from_that_noise():
    teacher = flow.Model(flow.Config(**flow.TINY)).eval()
    pairs = distilled.teacher_pairs(teacher, 6, seed=3, batch=4)
    assert pairs["noise"].shape == pairs["images"].shape == (6, 1, 28, 28)
    assert pairs["labels"].tolist() == [0, 1, 2, 3, 4, 5]
    again = teacher.sample(pairs["labels"][:2], torch.Generator(), noise=pairs["noise"][:2])
    assert torch.allclose(pairs["images"][:2], again * 2 - 1)
    assert torch.equal(distilled.teacher_pairs(teacher, 6, seed=3, batch=4)["images"], pairs["images"])


def test_the_loss_is_zero_for_the_straight_lines_velocity():
    """A network that answers noise - image everywhere has nothing to learn; half the batch is at
    t = 1 (the one-step case), the rest at the starts of 2 and 4 even steps."""
    noise, images = torch.randn(512, 1, 28, 28), torch.rand(512, 1, 28, 28) * 2 - 1
    times = []

    def straight(x_t, t, y):
        times.append(t / flow.TIME_SCALE)
        return noise - images

    loss = distilled.distillation_loss(straight, noise, images, torch.zeros(512, dtype=torch.long),
                                       torch.Generator().manual_seed(0))
    assert loss.item() == 0
    t = times[0]
    assert set(t.tolist()) <= set(distilled.TRAINED_AT) and 0.4 < (t == 1).float().mean() < 0.6


def test_the_student_is_its_teacher_less_the_dropped_block(tmp_path):
    """Without its first full-resolution block, the student starts as the teacher with that
    block's residual branch at zero (what the teacher's zero-initialised block would add)."""
    model = tiny()
    assert not model.config.first_block and not list(model.net.down[0].parameters())
    teacher = distilled.Trainer(model, total_steps=1).teacher
    assert set(teacher.net.state_dict()) - set(model.net.state_dict()) == {
        k for k in teacher.net.state_dict() if k.startswith("down.0.")}
    x, t, y = torch.randn(2, 1, 28, 28), torch.ones(2), torch.tensor([1, 2])
    with torch.no_grad():
        assert torch.allclose(model.net(x, t, y), teacher.net(x, t, y), atol=1e-6)


def test_the_teachers_pairs_are_drawn_once_and_read_back(tmp_path, monkeypatch):
    trainer = distilled.Trainer(tiny(), total_steps=1)
    trainer.pairs_file = tmp_path / "pairs.safetensors"
    drawn = trainer.drawn_pairs()
    monkeypatch.setattr(distilled, "teacher_pairs", lambda *a, **k: pytest.fail("drawn again"))
    again = distilled.Trainer(tiny(), total_steps=1)
    again.pairs_file = trainer.pairs_file
    assert all(torch.equal(drawn[k], again.drawn_pairs()[k]) for k in drawn)


@pytest.mark.slow  # 31 training steps, each sampling the teacher (3 s)
def test_training_moves_the_student_towards_its_teacher():
    """The student starts as the teacher (here both untrained) and learns the teacher's pairs."""
    model = tiny()
    trainer = distilled.Trainer(model, total_steps=40)
    x, y = torch.zeros(16, 1, 28, 28), torch.arange(16) % 10
    g = torch.Generator().manual_seed(0)
    first = trainer.step(x, y, g)["loss"]
    assert trainer.pairs["images"].shape == (distilled.TINY["pairs"], 1, 28, 28)
    for _ in range(30):
        last = trainer.step(x, y, g)["loss"]
    assert last < first


# --- the shipped checkpoints and the tab: once the family is shown (in models.FAMILIES) ---------
shown = pytest.mark.skipif("distilled" not in models.FAMILIES, reason="One step is still developing")


@shown
def test_the_card_names_its_teacher():
    from genimg import checkpoint

    for dataset in ("mnist", "fashion"):
        teacher = checkpoint.read_card(distilled.TEACHER, dataset)
        built = checkpoint.read_card("distilled", dataset)["recipe"]["builds_on"]["teacher"]
        assert built["family"] == distilled.TEACHER and built["sha256"] == teacher["sha256"]


@shown
def test_the_one_step_tab_sets_the_student_beside_its_teacher(client):
    from PIL import Image

    sheet, text = client.predict("mnist", 5, 2, api_name="/compare_teacher_distilled")
    assert Image.open(sheet).format == "PNG"
    assert "student, 1 step**: 1 network pass an image" in text and "teacher, its default**: 11 network" in text


@shown
@pytest.mark.parametrize("steps, message", [(0, "must be a number between"), (5, "must be a number between"), (1.5, "whole")])
def test_bad_one_step_input_is_a_message(client, steps, message):
    with pytest.raises(Exception, match=message):
        client.predict("mnist", 3, 4, 0, steps, api_name="/generate_distilled")


def test_the_critic_trains_beside_the_student_when_asked():
    model = distilled.Model(distilled.Config(**{**distilled.TINY, "adversary": 0.5}))
    trainer = distilled.Trainer(model, total_steps=10)
    before = [p.detach().clone() for p in trainer.critic.parameters()]
    x, y = torch.rand(16, 1, 28, 28) * 2 - 1, torch.arange(16) % 10
    logs = trainer.step(x, y, torch.Generator().manual_seed(0))
    assert {"loss", "critic_hinge", "critic_weight"} <= set(logs) and logs["critic_weight"] >= 0
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.critic.parameters()))


def test_the_pairs_are_drawn_with_the_teachers_own_sampler():
    """The teacher is a Flow matching model at that family's defaults (11 passes an image), not
    a copy of the student with the student's one step."""
    trainer = distilled.Trainer(tiny(), total_steps=10)
    assert type(trainer.teacher) is flow.Model
    assert trainer.teacher.nfe() == flow.Model(flow.Config(**flow.TINY)).nfe() == 11
