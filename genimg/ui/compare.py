"""The Compare tab: every family draws the same class from the same seed, side by side, as each
finishes (the fast ones first), with the scoreboard of ``python -m genimg eval`` beneath."""
from __future__ import annotations

import secrets

import gradio as gr

from .. import evaluate, models, pipeline, render
from .common import DEFAULT_DATASET, LABEL_ROOM, MODEL_QUEUE, api_names, class_dropdown, seed_input, user_errors
from . import links
from .picture import picture

N = 8  # images per family
HEADERS = ["family", "samples", "FID (judge)", "its floor", "FID (classifier)", "its floor", "class accuracy", "IS",
           "IS of the test set", "precision", "recall", "network evals / image", "ms / image"]


def _second(r: dict, key: str):
    """The classifier ruler's figure of a scoreboard row ('–' in a card measured before there were two)."""
    return r.get("rulers", {}).get("classifier", {}).get(key, "–")


def _order(dataset: str) -> list[str]:
    """Shipped families, fastest first (by the measured time per image, else by network evaluations)."""
    board = {r["family"]: r["ms_per_image"] for r in evaluate.scoreboard(dataset)}
    return sorted(pipeline.available(dataset), key=lambda f: (board.get(f, float("inf")), models.FAMILIES.index(f)))


def board_outputs(dataset: str):
    rows = evaluate.scoreboard(dataset)
    if not rows:
        return [], None, "No scoreboard yet: run `python -m genimg eval` to measure the families."
    table = [[r["title"], r["n_samples"], r["fid"], r["fid_floor"], _second(r, "fid"), _second(r, "fid_floor"),
              f"{r['class_accuracy']:.1%}", r["inception_score"],
              r["inception_score_test"], r["precision"], r["recall"], r["nfe"], r["ms_per_image"]] for r in rows]
    names = [r["title"] for r in rows]
    charts = [render.hbars(names, [r["fid"] for r in rows],
                           "FID in the judge's features (lower is better; red: the real-vs-real floor)",
                           floors=[r["fid_floor"] for r in rows]),
              render.hbars(names, [100 * r["class_accuracy"] for r in rows], "Class accuracy of the samples", "%"),
              render.hbars(names, [r["ms_per_image"] for r in rows], "Time per image (batched)", " ms")]
    when, where = (", ".join(sorted({r[k] for r in rows})) for k in ("date", "hardware"))
    most = max(r["n_samples"] for r in rows)
    return table, render.stack(charts), (f"Measured {when} on {where} by `python -m genimg eval` "
                                         f"({most:,} samples per family, fewer for the slow ones). FID, precision "
                                         "and recall are measured in the features of two networks: the judge, "
                                         "trained only to evaluate, and the classifier that captions the images; "
                                         "where they order the families alike, the order is the families'.")


def build(dataset: gr.Radio) -> None:
    gr.Markdown("**Every family draws the same class from the same seed.** They finish at very different "
                "speeds: the fast ones appear first. Beneath, the scoreboard measured on thousands of samples.")
    with gr.Row():
        label = class_dropdown(dataset, all_label=None, value=3)
        seed = seed_input()
    with gr.Row():
        go = gr.Button("Compare", variant="primary")
        again = gr.Button("New seed and compare")
    links.register("compare", go, dataset, all_classes=False, label=label, seed=seed)
    pictures, notes = [], []
    with gr.Row():
        for family in models.FAMILIES:
            with gr.Column(min_width=150):
                pictures.append(picture(label=models.get(family).TITLE))
                notes.append(gr.Markdown())
    first = board_outputs(DEFAULT_DATASET)
    table = gr.Dataframe(first[0], headers=HEADERS, label="Scoreboard", interactive=False)
    chart = picture(first[1], label="The scoreboard as bars")
    board_note = gr.Markdown(first[2])

    @user_errors
    @api_names("dataset", "label", "seed")
    def compare(dataset_key, label_value, seed_value):
        shown = [None] * len(models.FAMILIES)
        texts = ["waiting…"] * len(models.FAMILIES)
        order = _order(dataset_key)
        for family in models.FAMILIES:
            if family not in order:
                texts[models.FAMILIES.index(family)] = "no checkpoint for this dataset"
        for family in order:
            r = pipeline.generate(family, dataset_key, label_value, N, seed_value)
            i = models.FAMILIES.index(family)
            shown[i] = render.grid(r.images, r.captions(), scale=2, cols=2, marks=list(r.predicted == r.labels),
                                   top=LABEL_ROOM)
            texts[i] = (f"{r.seconds * 1000:.0f} ms for {N} · {r.nfe} network evaluation{'s' if r.nfe != 1 else ''} "
                        f"per image · {int((r.predicted == r.labels).sum())}/{N} recognised")
            yield *shown, *texts

    inputs, outputs = [dataset, label, seed], [*pictures, *notes]
    go.click(compare, inputs, outputs, api_name="compare", concurrency_id=MODEL_QUEUE)
    again.click(lambda: secrets.randbelow(2**31), None, seed, queue=False, api_visibility="private").then(
        compare, inputs, outputs, concurrency_id=MODEL_QUEUE, api_visibility="private")
    dataset.change(board_outputs, dataset, [table, chart, board_note], api_name="scoreboard")
