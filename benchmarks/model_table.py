"""The README's model tables, generated from the checkpoint cards and from the last
``python -m genimg bench`` (benchmarks/results/bench.json): no hand-typed figures.

    python benchmarks/model_table.py            # print it
    python benchmarks/model_table.py --write    # replace the tables between the markers in README.md
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import README, replace  # noqa: E402
from genimg import bench, checkpoint, models  # noqa: E402
from genimg.data import DATASETS  # noqa: E402

def cards() -> list[tuple[str, str, dict]]:
    return [(name, dataset, checkpoint.read_card(name, dataset))
            for name in (*models.FAMILIES, "classifier", "judge") for dataset in DATASETS
            if checkpoint.exists(name, dataset)]


def likelihood(m: dict) -> str:
    """Test-set bits per dimension: an exact NLL at the model's grey levels, or an ELBO bound."""
    if "prior" in m:
        return f"{m['prior']['test_bits_per_token']:.2f} bits per token (exact, over 49 tokens)"
    if "test_bits_per_dim" not in m:
        return "–"
    if "levels" in m:
        return f"{m['test_bits_per_dim']:.3f} (exact, {m['levels']} levels)"
    return f"≤ {m['test_bits_per_dim']:.3f} (ELBO, Bernoulli)"


def rows() -> list[str]:
    out = ["| model | dataset | parameters | file | training | class accuracy | diversity (real) | test bits/dim |",
           "|---|---|---:|---:|---|---:|---:|---:|"]
    for name, dataset, card in cards():
        r, m = card["recipe"], card.get("metrics", {})
        acc = m.get("class_accuracy", m.get("test_accuracy"))
        what = "samples" if "class_accuracy" in m else "test set"
        div = f"{m['diversity']:.2f} ({m['diversity_real']:.2f})" if "diversity_real" in m else "–"
        bpd = likelihood(m)
        steps, wall, earlier = r["steps"], r["wall_time_s"], r.get("continued_from")
        runs = [f"{steps:,}"]
        while earlier:  # a run continued from a checkpoint: count every run before it
            runs.insert(0, f"{earlier['steps']:,}")
            wall += earlier["wall_time_s"]
            earlier = earlier.get("earlier")
        out.append(
            f"| {name} | {dataset} | {card['parameters']:,} | {card['file_bytes'] / 2**20:.2f} MB | "
            f"{' + '.join(runs)} steps, {wall / 60:.0f} min on {r['hardware'].split(',')[1].strip()} "
            f"| {acc:.1%} ({what}) | {div} | {bpd} |")
    out += ["", "The command behind each checkpoint (from its card):", "", "```bash"]
    for _, _, card in cards():
        earlier, before = card["recipe"].get("continued_from"), []
        while earlier:  # the commands that made the weights it continued from, first one first
            before.insert(0, earlier["command"])
            earlier = earlier.get("earlier")
        out += [f"{c}  # then:" for c in before] + [card["recipe"]["command"]]
    return out + ["```"]


def likelihood_cell(e: dict) -> str:
    lk = e.get("likelihood")
    if not lk:
        return "–"
    if "test_bits_per_token" in lk:
        return f"{lk['test_bits_per_token']:.2f} bits/token"
    bound = "≤ " if lk["kind"].startswith("ELBO") else ""
    return f"{bound}{lk['test_bits_per_dim']:.3f} bits/dim"


def scoreboard_rows() -> list[str]:
    """``python -m genimg eval``'s results, from the cards: the same measurements for every family."""
    out = ["| family | dataset | samples | FID judge (real floor) | FID classifier (real floor) | class accuracy "
           "| IS (test set) | precision | recall | likelihood | parameters | network evals / image | ms / image |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    dates = set()
    for name, dataset, card in cards():
        e = card.get("eval")
        if not e or name == "classifier":
            continue
        dates.add((e["date"], e["hardware"], e.get("budget_s", 300)))
        second = e.get("rulers", {}).get("classifier")
        other = f"{second['fid']:.1f} ({second['fid_floor']:.1f})" if second else "–"
        out.append(f"| {name} | {dataset} | {e['n_samples']:,} | {e['fid']:.1f} ({e['fid_floor']:.1f}) | {other} | "
                   f"{e['class_accuracy']:.1%} | {e['inception_score']:.2f} ({e['inception_score_test']:.2f}) | "
                   f"{e['precision']:.2f} | {e['recall']:.2f} | {likelihood_cell(e)} | {e['parameters']:,} | "
                   f"{e['nfe']} | {e['ms_per_image']:.2f} |")
    when = "; ".join(f"{d} on {h} with `python -m genimg eval --budget {b:g}`" for d, h, b in sorted(dates))
    return out + ["", f"Measured {when} (a family too slow for 10,000 samples within the budget of sampling "
                      f"seconds gets fewer: the samples column says how many); regenerate the table with "
                      f"`python benchmarks/model_table.py --write`."]


def token_rows() -> list[str]:
    """The Transformer's tokenizer and prior on the test set, per dataset."""
    out = ["| dataset | codes used | code perplexity | reconstruction MSE | prior NLL (nats / token) "
           "| (bits / token) | (nats / image) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, dataset, card in cards():
        m = card.get("metrics", {})
        if name == "transformer" and "prior" in m:
            t, p = m["tokenizer"], m["prior"]
            out.append(f"| {dataset} | {t['codes_used']} of {t['codes']} | {t['code_perplexity']:.1f} | "
                       f"{t['test_mse']:.4f} | {p['test_nats_per_token']:.3f} | {p['test_bits_per_token']:.3f} | "
                       f"{p['test_nats_per_image']:.1f} |")
    return out


def nll_rows() -> list[str]:
    """The PixelCNN's exact test-set likelihood per dataset, for the README's comparison."""
    out = ["| dataset | grey levels | test NLL (nats / image) | bits / dim |", "|---|---:|---:|---:|"]
    for name, dataset, card in cards():
        m = card.get("metrics", {})
        if name == "pixelcnn" and "test_nll_nats" in m:
            out.append(f"| {dataset} | {m['levels']} | {m['test_nll_nats']:.1f} | {m['test_bits_per_dim']:.3f} |")
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--write", action="store_true")
    table = "\n".join(rows())
    if not p.parse_args().write:
        print(table)
        return
    text = replace(README.read_text(), "model-table", table)
    text = replace(text, "transformer-tokens", "\n".join(token_rows()))
    text = replace(text, "scoreboard", "\n".join(scoreboard_rows()))
    results = ROOT / bench.RESULTS
    if results.exists():
        text = replace(text, "bench", bench.table(json.loads(results.read_text())))
    README.write_text(replace(text, "pixelcnn-nll", "\n".join(nll_rows())))


if __name__ == "__main__":
    main()
