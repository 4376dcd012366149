"""TF2's functional control flow (``If``, ``While``...) lowered to TF1's (Switch/Merge,
Enter/Exit frames), which minitf's executor runs: see export/functions.py."""

from __future__ import annotations

# op type -> lower(inliner, node, stack, out) -> the node that takes ``node``'s place
LOWERINGS: dict = {}
