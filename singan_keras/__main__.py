"""`python -m singan_keras ...` runs the `singan` command line (see `singan_keras.cli`)."""

import sys

from singan_keras.cli import main

if __name__ == "__main__":  # not when a tool (e.g. pytest --doctest-modules) imports this file
    sys.exit(main())
