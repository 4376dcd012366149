"""``python -m minitf.serving``: the minitf command (serve, export, inspect, predict), for an
environment where the console script is not on PATH."""

import sys

from .cli import main

sys.exit(main())
