"""任务 (admins): the scheduled jobs with their schedules (as configured), next and last runs
and what became of the pushes the last run queued; a job's recent runs; and running a job
now, as `workshop-bot jobs run` does (scheduled.scheduler.run_now: recorded as run by hand,
and a second run of the same period queues nobody twice), with a confirm page, an audit
entry and a report of what it queued and skipped. The pushes go out through the service's
delivery loop, nudged by the app after the action."""

from __future__ import annotations

from collections.abc import Mapping

from bot.app import DB_KEY
from domain import NotFound
from domain.audit import audit
from scheduled.jobs.report import note_words
from scheduled.scheduler import JobSpec, configured, job_runs, job_table, next_run, run_now
from storage.codes import OUTBOX_STATES
from storage.models import ROLE_ADMIN
from web.console.registry import CONSOLE, Context, Req

ADMINS = (ROLE_ADMIN,)
RUNS_SHOWN = 20


def _jobs(req: Req) -> Mapping[str, JobSpec]:
    """The job table with the schedules this service runs them on (configuration)."""
    return configured(req.settings.schedules)


def _spec(req: Req) -> JobSpec:
    spec = _jobs(req).get(req.request.match_info.get("job", ""))
    if spec is None:
        raise req.not_found()
    return spec


def _job_words(req: Req) -> Context:
    return {"describe": lambda spec: spec.description(req.words),
            "schedule": lambda spec: spec.schedule_in(req.words),
            "state_name": lambda state: req.words.named("outbox.state", state),
            "delivery_states": lambda counts: [s for s in OUTBOX_STATES if counts.get(s)]}


@CONSOLE.page("/jobs", name="jobs", template="console/jobs.html", nav="console.nav.jobs",
              order=65, roles=ADMINS)
async def jobs_page(req: Req) -> Context:
    listing = await job_table(req.session, req.now, req.settings.tz, _jobs(req))
    return {"listing": listing, "can_push": req.settings.can_push} | _job_words(req)


@CONSOLE.page("/jobs/{job}", name="job", template="console/job.html", roles=ADMINS,
              section="jobs")
async def job_page(req: Req) -> Context:
    spec = _spec(req)
    try:
        runs = await job_runs(req.session, spec.name, RUNS_SHOWN)
    except NotFound:
        raise req.not_found() from None
    return {"spec": spec, "runs": runs, "next_at": next_run(spec, req.now, req.settings.tz)
            } | _job_words(req)


# The job's run opens its own transactions (it commits as it goes): the request's session
# only reads, and the audit entry is written once the run is done.
job_run = CONSOLE.action("/jobs/{job}/run", name="job_run", template="console/job_run.html",
                         roles=ADMINS, section="jobs", transaction=False)


@job_run.confirm
async def run_confirm(req: Req) -> Context:
    spec = _spec(req)
    return {"spec": spec, "period": spec.period(req.today), "report": None, "notes": [],
            "can_push": req.settings.can_push} | _job_words(req)


@job_run.perform
async def run(req: Req) -> Context:
    spec = _spec(req)
    db = req.request.config_dict[DB_KEY]
    try:
        report = await run_now(db, spec.name, req.now, req.settings.tz, req.settings.rank_weights)
    except NotFound:
        raise req.not_found() from None
    async with db.transaction() as session:
        await audit(session, req.viewer, "job.run", subject="job", subject_id=report.run_id,
                    studio_id=None, before=None,
                    after={"name": spec.name, "period": report.period, "queued": report.queued,
                           "skipped": report.skipped}, now=req.now)
    # Shown rather than redirected to: the notes (members who could not be reminded) are
    # the run's alone. Sending the form again is harmless — nobody is queued twice.
    return {"spec": spec, "period": report.period, "report": report,
            "notes": [note_words(req.words, note) for note in report.notes],
            "can_push": req.settings.can_push} | _job_words(req)
