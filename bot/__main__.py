"""`python -m bot` is the same as `workshop-bot`."""

from ops.cli import main

raise SystemExit(main())
