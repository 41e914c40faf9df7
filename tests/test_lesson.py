"""The Lesson tab: every step links to a real tab with settings the app accepts, has one right
answer among its choices, and quotes only numbers the cards hold."""
import pytest

from genimg import models, ui
from genimg.ui import lesson, links


@pytest.fixture(scope="module")
def shown():
    ui.build()  # registers the linkable panels
    return ui.shown_families()


@pytest.mark.parametrize("step", lesson.steps(), ids=lambda s: s.title.split(" · ")[0])
def test_every_step_links_to_a_shown_tab_with_settings_it_accepts(step, shown):
    assert step.tab in models.FAMILIES + ("compare", "train", "scaling")
    query = dict(q.split("=") for q in lesson.link(step)[1:].split("&"))
    tab, dataset, values, notes = links.read(query, shown)
    assert tab == step.tab and notes == [] and set(values) == set(map(str, step.query))
    assert 0 <= step.right < len(step.choices) and step.question.endswith("?")


def test_thirteen_steps_in_order_and_no_shared_module_names_a_family():
    steps = lesson.steps()
    assert [int(s.title.split(" · ")[0]) for s in steps] == list(range(1, 14))
    assert [s.tab for s in steps][-5:] == ["compare", "compare", "train", "train", "scaling"]


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
@pytest.mark.parametrize("step", lesson.steps(), ids=lambda s: s.title.split(" · ")[0])
def test_the_answers_quote_measured_numbers(step, dataset):
    facts = lesson.facts(step, dataset)
    assert "–" not in facts.values(), facts
    assert "{" not in step.answer.format(**facts)


@pytest.mark.parametrize("step", [s for s in lesson.steps() if s.holds], ids=lambda s: s.title.split(" · ")[0])
def test_the_answer_key_agrees_with_what_was_measured(step):
    """The right choice is right by the numbers in the cards (on the lesson's dataset), so a
    retrained model that changes the story fails here rather than in front of a class."""
    measured = lesson.measured(step)
    assert step.holds(measured), (step.title, step.choices[step.right], measured)


def test_the_lesson_carries_no_measurement_of_its_own():
    from genimg import docs

    for step in lesson.steps():
        for text in (step.try_it, step.question, step.answer, *step.choices):
            assert docs.bare_numbers(text, docs.ALLOWED) == [], text
