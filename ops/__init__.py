"""Operator tools: the command line, chat console, roster import, invites, exports, ledger.

Nothing imports this package; it imports the others (it is where things are wired together)."""
