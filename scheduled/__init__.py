"""Scheduled work: the outbox's delivery and the jobs that fill it. Imports storage only."""
