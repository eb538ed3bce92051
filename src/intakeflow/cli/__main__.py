"""``python -m intakeflow.cli``: the ``intakeflow`` command from a checkout (models/gpu_lowo.sh)."""

import sys

from intakeflow.cli import main

sys.exit(main())
