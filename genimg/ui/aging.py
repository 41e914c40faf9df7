"""Gradio's cache aged out under load.

Every ``delete_cache`` period, Gradio 6.31 deletes the old files of every block's set of files
it handed out (``route_utils.delete_files_created_by_app``), iterating each set while handler
threads add to it. Under a class's load the iteration fails ("Set changed size during
iteration"), the scheduled task ends, and nothing is deleted again until a restart: the cache
folder grew by every picture sent. Here each set is read from a copy, and a file that cannot be
removed is left for the next round.
"""
from __future__ import annotations

import os
import time

from gradio import route_utils


def delete_old_files(blocks, age: int | None) -> None:
    """Gradio's ``delete_files_created_by_app``, safe while the sets grow: remove the files of
    ``blocks``' sets (but those kept in the cache) whose ctime is more than ``age`` seconds ago
    (all of them for None)."""
    keep = set()
    for block in list(blocks.blocks.values()):
        keep.update(getattr(block, "keep_in_cache", ()))
    now = time.time()
    for files in list(blocks.temp_file_sets):
        gone = set()
        for path in list(files):
            if path in keep:
                continue
            try:
                if age is None or now - os.lstat(path).st_ctime > age:
                    os.remove(path)
                    gone.add(path)
            except FileNotFoundError:
                gone.add(path)
            except OSError:
                continue
        files.difference_update(gone)


def safely() -> None:
    """Age Gradio's cache with ``delete_old_files`` (the scheduled task looks the function up
    in ``route_utils`` each round)."""
    route_utils.delete_files_created_by_app = delete_old_files
