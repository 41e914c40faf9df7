"""One source for every number: the README, README.zh-CN.md and docs/ are generated from
docs/src/ with every figure read from the cards and the benchmarks' results; the sources and
the How it works texts carry no measurement of their own."""
from pathlib import Path

import pytest

from genimg import checkpoint, docs, facts

HOW = sorted((Path(docs.ROOT) / "genimg" / "ui" / "how").glob("*.md"))


def test_every_generated_file_is_up_to_date():
    stale = [str(p.relative_to(docs.ROOT)) for p in docs.stale()]
    assert stale == [], f"stale: {stale}; run `python -m genimg docs`"


@pytest.mark.parametrize("path", docs.sources() + HOW, ids=lambda p: str(p.relative_to(docs.ROOT)))
def test_prose_carries_no_bare_measurement(path):
    found = docs.bare_numbers(path.read_text(), docs.ALLOWED)
    assert found == [], f"{path.name} types measurements by hand: {found}; use a placeholder (genimg/facts.py)"


@pytest.mark.parametrize("path", HOW, ids=lambda p: p.name)
def test_how_it_works_figures_resolve(path):
    assert "{{" not in facts.render(path.read_text())


def test_the_readme_is_short_and_has_its_twin():
    readme = (Path(docs.ROOT) / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    assert "README.zh-CN.md" in readme and "README.md" in (Path(docs.ROOT) / "README.zh-CN.md").read_text()


def test_a_placeholder_reads_the_card():
    card = checkpoint.read_card("gan", "mnist")
    row = next(r for r in card["sweeps"]["truncation"]["rows"] if r["truncation"] == 0.9)
    assert facts.render("{{ card gan mnist eval.fid }}") == f"{card['eval']['fid']:.1f}"
    assert facts.render("{{ card gan mnist sweeps.truncation.rows[truncation=0.9].recall | .3f }}") == \
        f"{row['recall']:.3f}"
    assert facts.render("{{ card gan mnist eval.class_accuracy }}") == f"{card['eval']['class_accuracy']:.1%}"
    assert facts.render("ψ = {{ default gan truncation }}") == "ψ = 0.9"


@pytest.mark.parametrize("text", ["{{ card gan mnist eval.nothing }}", "{{ card nobody mnist eval.fid }}",
                                  "{{ results nothing x }}", "{{ table nothing }}", "{{ gibberish }}"])
def test_a_placeholder_without_a_figure_names_what_is_missing(text):
    with pytest.raises(facts.Missing):
        facts.render(text)
    assert facts.render(text, missing="–") == "–"


def test_bare_numbers_finds_measurements_and_leaves_shapes_code_and_placeholders():
    text = ("FID 2.6, 91.8% of samples, 11.6 ms, 3x faster, recall 0.29; 28×28 pixels, 49 tokens, 10 classes, "
            "`--guidance 2.5`, $\\sigma = 0.5$, {{ card gan mnist eval.fid }}, torch 2.14.1")
    assert docs.bare_numbers(text) == ["FID 2", "91.8", "11.6", "3x", "recall 0"]
