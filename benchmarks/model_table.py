"""The README's model table, generated from the checkpoint cards (no hand-typed figures).

    python benchmarks/model_table.py            # print it
    python benchmarks/model_table.py --write    # replace the table between the markers in README.md
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from genimg import checkpoint, models  # noqa: E402
from genimg.data import DATASETS  # noqa: E402

BEGIN, END = "<!-- model-table:begin -->", "<!-- model-table:end -->"


def cards() -> list[tuple[str, str, dict]]:
    return [(name, dataset, checkpoint.read_card(name, dataset))
            for name in (*models.FAMILIES, "classifier") for dataset in DATASETS
            if checkpoint.exists(name, dataset)]


def rows() -> list[str]:
    out = ["| model | dataset | parameters | file | training | class accuracy | diversity (real) |",
           "|---|---|---:|---:|---|---:|---:|"]
    for name, dataset, card in cards():
        r, m = card["recipe"], card.get("metrics", {})
        acc = m.get("class_accuracy", m.get("test_accuracy"))
        what = "samples" if "class_accuracy" in m else "test set"
        div = f"{m['diversity']:.2f} ({m['diversity_real']:.2f})" if "diversity_real" in m else "–"
        out.append(
            f"| {name} | {dataset} | {card['parameters']:,} | {card['file_bytes'] / 2**20:.2f} MB | "
            f"{r['steps']:,} steps, {r['wall_time_s'] / 60:.0f} min on {r['hardware'].split(',')[1].strip()} "
            f"| {acc:.1%} ({what}) | {div} |")
    out += ["", "The command behind each checkpoint (from its card):", "", "```bash"]
    out += [card["recipe"]["command"] for _, _, card in cards()]
    return out + ["```"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--write", action="store_true")
    table = "\n".join(rows())
    if not p.parse_args().write:
        print(table)
        return
    readme = ROOT / "README.md"
    text = readme.read_text()
    new = re.sub(f"{re.escape(BEGIN)}.*?{re.escape(END)}", f"{BEGIN}\n{table}\n{END}", text, flags=re.S)
    readme.write_text(new)


if __name__ == "__main__":
    main()
