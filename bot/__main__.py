"""`python -m bot` is the same as `workshop-bot`."""

from bot.cli import main

raise SystemExit(main())
