import sys

from migbench.cli import main

sys.exit(main())
