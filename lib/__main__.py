"""``python -m lib``: the Launch Review command-line interface."""

import sys

from lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
