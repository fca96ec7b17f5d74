"""The jobs: ``async def job(db, now, tz) -> JobReport``; see scheduled.scheduler for when."""
