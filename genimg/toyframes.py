"""A frame of a toy run (``genimg.playground``) as pictures and a table: each family's panel,
the charts every family shares, the whole frame in one picture (the replay, its GIF, the CLI's
PNG). Words come through ``say`` (English text and fields -> the reader's language): the Train
tab passes its visitor's, the CLI English.
"""
from __future__ import annotations

from PIL import Image

from . import plane, toys
from .toys import data


def english(text: str, **fields) -> str:
    return text.format(**fields) if fields else text


COLOURS = {name: plane.PALETTE[i % len(plane.PALETTE)] for i, name in enumerate(toys.TOYS)}


def family_picture(frame, name: str, say=english) -> Image.Image:
    t = frame.families[name]
    return plane.panel(data.BOX, frame.data, t.samples, t.view, t.loss, say("loss"))


def charts(frame, say=english) -> tuple[Image.Image, Image.Image | None]:
    """The score of every family over training against the floor; the modes covered (a mixture)."""
    titles = {name: say(toys.get(name).TITLE) for name in frame.families}
    colours = {titles[n]: COLOURS[n] for n in frame.families}
    score = plane.series({titles[n]: t.score for n, t in frame.families.items()},
                         say("Distance to held-out data (sliced Wasserstein, lower is better)"),
                         say("training step"), frame.floor, say("real data"), colours=colours)
    if frame.modes_total is None:
        return score, None
    modes = plane.series({titles[n]: t.modes for n, t in frame.families.items()},
                         say("Modes covered (of {k})", k=frame.modes_total), say("training step"),
                         frame.modes_total, say("all"), log=False, colours=colours)
    return score, modes


def composite(frame, say=english, cols: int = 2) -> Image.Image:
    """A whole frame in one picture: the charts over the families' panels."""
    pictures = [family_picture(frame, name, say) for name in frame.families]
    top = [c for c in charts(frame, say) if c is not None]
    w, h = pictures[0].size
    rows = -(-len(pictures) // cols)
    head = max(p.size[1] for p in top)
    out = Image.new("RGB", (max(cols * (w + 8), sum(p.size[0] + 8 for p in top)), head + rows * (h + 8)), "white")
    x = 0
    for p in top:
        out.paste(p, (x, 0))
        x += p.size[0] + 8
    for i, p in enumerate(pictures):
        out.paste(p, ((i % cols) * (w + 8), head + (i // cols) * (h + 8)))
    return out


def rows(frame, say=english) -> tuple[list[str], list[list[str]]]:
    """Every family's numbers at this frame: (header, rows)."""
    head = [say("Family"), say("Distance (× floor)"), say("Modes covered"), say("Between the modes"), say("Loss"),
            say("Learning rate"), say("Seconds")]
    out = []
    for name, t in frame.families.items():
        swd = t.score[-1][1]
        out.append([say(toys.get(name).TITLE), f"{swd:.3f} ({swd / frame.floor:.1f}×)",
                    f"{t.modes[-1][1]}/{frame.modes_total}" if t.modes else "–",
                    f"{t.between:.0%}" if t.between is not None else "–",
                    f"{t.loss[-1][1]:.3g}" if t.loss else "–", f"{t.lr:g}", f"{t.seconds:.1f}"])
    return head, out


def table(frame, say=english) -> str:
    """``rows`` as a Markdown table, with the floor under it."""
    head, body = rows(frame, say)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + "\n\n" + say("Floor: real data against the held-out points, {floor:.3f}.", floor=frame.floor)
