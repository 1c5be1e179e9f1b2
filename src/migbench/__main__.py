"""Run the command line as ``python -m migbench``."""

import sys

from migbench.cli import main

sys.exit(main())
