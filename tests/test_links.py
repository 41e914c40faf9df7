"""Links that reproduce a view (``genimg.ui.links``): the query a link carries, checked as the
API checks its arguments; what cannot be applied is named in a note, never an error page. The
browser side (the page opens the tab, sets it and generates the API's own bytes) is in
test_browser.py."""
import pytest

from genimg import ui
from genimg.ui import links


@pytest.fixture(scope="module")
def families():
    ui.build()  # registers the panels
    return ui.shown_families()


def test_a_link_sets_the_tab_its_controls_and_the_dataset(families):
    tab, dataset, values, notes = links.read(
        {"tab": "gan", "dataset": "fashion", "label": "3", "seed": "7", "n": "4", "truncation": "0.8"}, families)
    assert (tab, dataset, notes) == ("gan", "fashion", [])
    assert values == {"label": 3, "seed": 7, "n": 4, "truncation": 0.8}
    tab, _, values, notes = links.read({"tab": "diffusion", "sampler": "ddim", "steps": "5", "label": "-1"}, families)
    assert values == {"sampler": "ddim", "steps": 5, "label": -1} and notes == []


def test_every_linkable_panel_takes_the_names_of_its_endpoint(families):
    api = {name.strip("/"): [p["parameter_name"] for p in e["parameters"]]
           for name, e in ui.build().get_api_info()["named_endpoints"].items()}
    for tab, panel in ((t, p) for t, p in links.PANELS.items() if p.press):  # the Lesson tab only opens
        # the tab's first endpoint is its main panel's (generate_gan, generate_pixelcnn, generate_flow, compare)
        endpoint = next(params for name, params in api.items() if name.endswith(f"_{tab}") or name == tab)
        linked = [p for p in endpoint if p not in panel.unlinked]  # (the Train tab's drawing travels in no link)
        assert linked == ["dataset"] * (endpoint[0] == "dataset") + list(panel.controls), tab


def test_a_link_sets_the_train_tab():
    ui.build()
    tab, _, values, notes = links.read({"tab": "train", "data": "moons", "seed": "3", "families": "gan,flow",
                                        "steps": "200", "lr_scale": "2", "gan_loss": "plain"}, [])
    assert notes == [] and values == {"data": "moons", "seed": 3, "families": ["gan", "flow"], "steps": 200,
                                      "lr_scale": 2.0, "gan_loss": "plain"}
    _, _, values, notes = links.read({"tab": "train", "data": "drawing", "steps": "1e9", "families": "gan,nope"}, [])
    assert values == {} and len(notes) == 3


@pytest.mark.parametrize("query, ignored", [
    ({"tab": "nope"}, "`tab=nope` ignored: tab must be one of gan"),
    ({"dataset": "cifar"}, "`dataset=cifar` ignored: dataset must be one of mnist, fashion"),
    ({"tab": "gan", "label": "12"}, "`label=12` ignored: label must be a whole number between 0 and 9"),
    ({"tab": "gan", "n": "0"}, "`n=0` ignored: n must be a whole number between 1 and 64"),
    ({"tab": "gan", "seed": "-3"}, "`seed=-3` ignored: seed must be a whole number"),
    ({"tab": "gan", "truncation": "abc"}, "`truncation=abc` ignored: truncation must be a number between 0"),
    ({"tab": "diffusion", "sampler": "magic"}, "`sampler=magic` ignored: sampler must be one of"),
    ({"tab": "gan", "steps": "5"}, "`steps=5` ignored: the gan tab has no setting 'steps'"),
    ({"label": "3"}, "`label=3` ignored: a link without a tab has no setting 'label'"),
    ({"tab": "compare", "label": "-1"}, "`label=-1` ignored: label must be a whole number between 0 and 9"),
])
def test_a_bad_value_is_left_at_its_default_and_named(families, query, ignored):
    tab, dataset, values, notes = links.read(query, families)
    assert len(notes) == 1 and notes[0].startswith(ignored), notes
    assert values == {}
