"""What the tests and the benchmarks share to drive the app from outside: a free loopback port to
serve it on, and how headless Chromium is started and which of the app's buttons it presses."""
from __future__ import annotations

import socket

# every tab's action buttons, by their text (a tab has some of them)
BUTTONS = ("Generate", "Interpolate", "Encode and decode", "Decode the map", "Paint", "Tokenise and decode",
           "Complete it", "Denoise it", "Compare", "Compare with the teacher", "Train")
# headless Chromium in a container: no sandbox, no GPU, and none of its own network traffic
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
