"""The Lesson tab: every step links to a real tab with settings the app accepts, has one right
answer among its choices, and quotes only numbers the cards hold."""
import pytest

from genimg import models, ui
from genimg.ui import lesson, links


@pytest.fixture(scope="module")
def shown():
    ui.build()  # registers the linkable panels
    return ui.shown_families()


@pytest.mark.parametrize("step", lesson.STEPS, ids=lambda s: s.title.split(" · ")[0])
def test_every_step_links_to_a_shown_tab_with_settings_it_accepts(step, shown):
    assert step.tab in models.FAMILIES + ("compare",)
    query = dict(q.split("=") for q in lesson.link(step)[1:].split("&"))
    tab, dataset, values, notes = links.read(query, shown)
    assert tab == step.tab and notes == [] and set(values) == set(map(str, step.query))
    assert 0 <= step.right < len(step.choices) and step.question.endswith("?")


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_the_answers_quote_measured_numbers(dataset):
    facts = lesson.facts(dataset)
    assert "–" not in facts.values(), facts
    for step in lesson.STEPS:
        assert "{" not in step.answer.format(**facts)
    assert int(facts["guidance0_acc"].rstrip("%")) < 20 and facts["pixelcnn_ms"] != facts["fastest_ms"]
