"""Persistence: tables, queries and migrations. Imports nothing else of ours."""
