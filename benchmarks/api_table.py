"""The docs' table of the app's endpoints, read from the app itself (the Blocks' API info,
what ``gradio_client``'s ``view_api`` shows): one row per endpoint with its parameters in order.

    python benchmarks/api_table.py            # print it
    python benchmarks/api_table.py --write    # keep it for the docs (benchmarks/results/tables/api.md)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import write_table  # noqa: E402


def endpoints() -> dict[str, list[str]]:
    """Every named endpoint of the app and its parameter names, in the app's order; not an
    endpoint's former name, which answers as the endpoint it now names (``genimg.ui.live.alias``)."""
    from genimg import ui

    demo = ui.build()
    former = {f"/{fn.api_name}" for fn in demo.fns.values() if fn.api_name and hasattr(fn.fn, "alias_of")}
    info = demo.get_api_info()["named_endpoints"]
    return {name: [p["parameter_name"] for p in e["parameters"]] for name, e in info.items() if name not in former}


def table(found: dict[str, list[str]]) -> str:
    lines = ["| endpoint | parameters |", "|---|---|"]
    lines += [f"| `{name}` | {', '.join(f'`{p}`' for p in params)} |" for name, params in found.items()]
    return "\n".join(lines) + "\n\nGenerated from the app by `python benchmarks/api_table.py --write`."


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--write", action="store_true", help="update the docs")
    text = table(endpoints())
    print(text)
    if p.parse_args().write:
        write_table("api", text)


if __name__ == "__main__":
    main()
