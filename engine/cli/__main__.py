"""`python -m engine.cli …` is the `wirework` command."""

import sys

from engine.cli.commands import main

sys.exit(main())
