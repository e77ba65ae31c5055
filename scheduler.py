"""APScheduler wiring only: when to crawl (each source on its schedule, each crawl in its own process
with a timeout), process, alert, send the daily digest and check source health. Jobs live in the
project's database (SQLAlchemyJobStore) and are top-level functions, so the store can pickle them."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor import jobs
from monitor.config import Settings
from storage.repository import Store
from storage.sources import finish_run, list_sources, recent_runs, start_run

log = logging.getLogger("deskwatch.scheduler")

JOB_TABLE = "apscheduler_jobs"
DELIVER_EVERY = timedelta(minutes=1)

SWEEP_EVERY = timedelta(minutes=10)
HEALTH_EVERY = timedelta(minutes=15)
CRAWL_GRACE_S = 300
DIGEST_GRACE_S = 3 * 3600
KILL_WAIT_S = 10
FIRST_CRAWL_STAGGER_S = 5.0


@dataclass
class Runtime:
    """What running jobs share in this process: settings, the store, the rules, the crawl children."""

    settings: Settings
    store: Store
    rulebook: Any
    process_lock: threading.Lock = field(default_factory=threading.Lock)
    process_requested: threading.Event = field(default_factory=threading.Event)
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)


_RUNTIME: Runtime | None = None


def configure(settings: Settings, store: Store | None = None) -> Runtime:
    """Set up this process's runtime (the jobs read it: the job store only keeps references and args)."""
    from monitor.alerts.rules import RuleBook

    global _RUNTIME
    _RUNTIME = Runtime(settings=settings, store=store or Store(settings.db_url), rulebook=RuleBook(settings.rules_file, settings.webhook_allowed_hosts))
    return _RUNTIME


def runtime() -> Runtime:
    if _RUNTIME is None:
        raise RuntimeError("scheduler jobs need scheduler.configure(settings) first")
    return _RUNTIME


# ---- jobs (top-level functions: the job store pickles references to them) ------------------------
def crawl_source(key: str) -> dict[str, Any]:
    """Crawl one source in a child process; a crawl that outlives the timeout is killed and recorded
    as a failed run. Processing and alerting follow a crawl that stored anything new."""
    rt = runtime()
    started = datetime.now(UTC)
    argv = crawl_command(key, rt.settings, rt.store.url)
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    rt.children[key] = child
    try:
        _out, err = child.communicate(timeout=rt.settings.crawl_timeout_s)
    except subprocess.TimeoutExpired:
        _kill(child)
        reason = f"killed after the {rt.settings.crawl_timeout_s}s crawl timeout"
        record_failed_crawl(rt.store, key, started, reason)
        log.error("crawl %s: %s", key, reason)
        return {"source": key, "status": "failed", "error": reason}
    finally:
        rt.children.pop(key, None)
    if rt.stopping.is_set() and child.returncode not in (0, 1):
        record_failed_crawl(rt.store, key, started, "interrupted by scheduler shutdown")
        return {"source": key, "status": "interrupted"}
    if child.returncode not in (0, 1):  # 1 = the crawl ran and failed (recorded by the runner)
        reason = f"crawler exited with {child.returncode}: {err.decode('utf-8', 'replace')[-500:].strip()}"
        record_failed_crawl(rt.store, key, started, reason)
        log.error("crawl %s: %s", key, reason)
    process_and_alert()
    return {"source": key, "status": "ok" if child.returncode == 0 else "failed", "returncode": child.returncode}


def crawl_command(key: str, settings: Settings, db_url: str) -> list[str]:
    """The crawler's command line, the contract with crawler.runner."""
    return [sys.executable, "-m", "crawler.runner", key, "--db", db_url, "--sources", str(settings.sources_file)]


def _kill(child: subprocess.Popen[bytes]) -> None:
    """Terminate the crawl's process group, then kill it if it lingers."""
    for sig, wait in ((signal.SIGTERM, KILL_WAIT_S), (signal.SIGKILL, None)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            break
        try:
            child.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    child.wait()


def record_failed_crawl(store: Store, key: str, started: datetime, reason: str) -> None:
    """Close the run the killed crawler opened (or open one) as failed, so source health counts it."""
    runs = [r for r in recent_runs(store, key, limit=5) if r["status"] == "running"
            and datetime.fromisoformat(r["started_at"]) >= started - timedelta(seconds=1)]
    run_id = runs[0]["id"] if runs else start_run(store, key)
    finish_run(store, run_id, pages=0, items=0, new_items=0, errors=1, status="failed", error_summary=reason)


def process_and_alert() -> None:
    """Extract pending documents, evaluate rules on the stories that changed, deliver. Runs one pass at
    a time; a request that arrives during a pass makes that pass loop once more instead of waiting."""
    rt = runtime()
    rt.process_requested.set()
    while rt.process_requested.is_set():
        if not rt.process_lock.acquire(blocking=False):
            return  # the running pass will see the request
        try:
            while rt.process_requested.is_set() and not rt.stopping.is_set():
                rt.process_requested.clear()
                _process_once(rt)
        finally:
            rt.process_lock.release()
        if rt.stopping.is_set():
            return


def _process_once(rt: Runtime) -> None:
    report = jobs.process(rt.store)
    rules = _current_rules(rt)
    if rules is not None and report.changes:
        jobs.alert(rt.store, rt.settings, rules, report.changes)
    elif rules is not None:
        jobs.deliver(rt.store, rt.settings, rules)
    log.info("processed %s", report.to_dict())


def _current_rules(rt: Runtime) -> Any:
    from monitor.alerts.rules import RuleError

    try:
        return rt.rulebook.current()
    except RuleError as exc:
        log.error("no usable alert rules yet: %s", exc)
        return None


def deliver_alerts() -> dict[str, Any]:
    """Send due alerts: new ones, and retries whose backoff has run out."""
    rt = runtime()
    rules = _current_rules(rt)
    return jobs.deliver(rt.store, rt.settings, rules).to_dict() if rules is not None else {}


def sweep_alerts() -> int:
    """Evaluate every rule over recent changes (catches decisions a crash skipped), then deliver."""
    rt = runtime()
    rules = _current_rules(rt)
    return len(jobs.alert(rt.store, rt.settings, rules).created) if rules is not None else 0


def daily_digest() -> dict[str, Any]:
    """Build today's digest and email it when SMTP is configured."""
    from monitor.digest.build import today_local

    rt = runtime()
    result = jobs.digest(rt.store, rt.settings, today_local(rt.settings))  # the 24 h that just closed
    if rt.settings.smtp_host and rt.settings.smtp_to:
        jobs.send_digest(rt.store, rt.settings, result)
    return result.to_dict()


def check_source_health() -> list[str]:
    """Log sources that are failing or overdue, and alert on failure streaks (source_failure rules)."""
    rt = runtime()
    now = datetime.now(UTC)
    problems = []
    intervals = {job.id.removeprefix("crawl:"): _interval_s(job.trigger) for job in _plan_sources(rt.settings)}
    for source in list_sources(rt.store):
        interval = intervals.get(source["key"])
        last = datetime.fromisoformat(source["last_success_at"]) if source["last_success_at"] else None
        if source["consecutive_failures"]:
            problems.append(f"{source['key']}: {source['consecutive_failures']} failed runs ({source['last_error']})")
        elif interval and last and now - last > timedelta(seconds=3 * interval):
            problems.append(f"{source['key']}: no successful run since {last.isoformat()}")
    for problem in problems:
        log.warning("source health: %s", problem)
    rules = _current_rules(rt)
    if rules is not None:
        jobs.enqueue(rt.store, rules, changes=[])  # advisory and source rules only
    return problems


def _interval_s(trigger: BaseTrigger) -> float | None:
    return trigger.interval.total_seconds() if isinstance(trigger, IntervalTrigger) else None


# ---- the plan ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    trigger: BaseTrigger
    args: tuple[Any, ...] = ()
    misfire_grace_time: int = 60


def source_trigger(schedule: str, timezone: str) -> BaseTrigger:
    """"30m"/"6h" -> an interval; a 5-field cron expression -> a cron trigger in the local zone."""
    from crawler.sources import schedule_seconds

    seconds = schedule_seconds(schedule)
    if seconds is not None:
        return IntervalTrigger(seconds=seconds, timezone=timezone)
    return CronTrigger.from_crontab(schedule, timezone=timezone)


def _plan_sources(settings: Settings) -> list[JobSpec]:
    from crawler.sources import load_registry

    return [
        JobSpec(f"crawl:{e.key}", "scheduler:crawl_source", source_trigger(e.schedule, settings.timezone), (e.key,),
                CRAWL_GRACE_S)
        for e in load_registry(settings.sources_file)
        if e.enabled
    ]


def plan_jobs(settings: Settings) -> list[JobSpec]:
    """Every job the scheduler should have: one per enabled source, plus the fixed ones."""
    tz = settings.timezone
    hour, minute = (int(x) for x in settings.digest_time.split(":"))
    return [
        *_plan_sources(settings),
        JobSpec("process", "scheduler:process_and_alert", IntervalTrigger(minutes=10, timezone=tz)),
        JobSpec("alerts:deliver", "scheduler:deliver_alerts", IntervalTrigger(seconds=DELIVER_EVERY.seconds, timezone=tz)),
        JobSpec("alerts:sweep", "scheduler:sweep_alerts", IntervalTrigger(seconds=SWEEP_EVERY.seconds, timezone=tz)),
        JobSpec("health", "scheduler:check_source_health", IntervalTrigger(seconds=HEALTH_EVERY.seconds, timezone=tz)),
        JobSpec("digest", "scheduler:daily_digest", CronTrigger(hour=hour, minute=minute, timezone=tz), (),
                DIGEST_GRACE_S),
    ]


def build_scheduler(settings: Settings, store: Store) -> BackgroundScheduler:
    """A scheduler whose jobs persist in the project's database; one instance per job at a time."""
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=settings.timezone,
    )


def sync_jobs(
    scheduler: BackgroundScheduler, specs: list[JobSpec], *, first_crawl_stagger_s: float | None = None
) -> dict[str, list[str]]:
    """Make the stored jobs match the plan: keep an unchanged job (and its next run time), replace a
    changed one, add new ones, remove jobs of sources that are gone or disabled. With a stagger, a new
    or changed crawl job first runs soon (one every `first_crawl_stagger_s`) instead of a full interval on."""
    changes: dict[str, list[str]] = {"kept": [], "added": [], "replaced": [], "removed": []}
    now = datetime.now(UTC)
    stagger = 0
    wanted = {spec.id: spec for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            changes["removed"].append(job.id)
    for spec in specs:
        job = scheduler.get_job(spec.id)
        if job is not None and (job.func_ref, str(job.trigger), tuple(job.args)) == (spec.func, str(spec.trigger), spec.args):
            changes["kept"].append(spec.id)
            continue
        extra: dict[str, Any] = {}
        if first_crawl_stagger_s is not None and spec.id.startswith("crawl:"):
            extra["next_run_time"] = now + timedelta(seconds=first_crawl_stagger_s * stagger)
            stagger += 1
        scheduler.add_job(spec.func, spec.trigger, args=spec.args, id=spec.id, name=spec.id, replace_existing=True,
                          misfire_grace_time=spec.misfire_grace_time, **extra)
        changes["replaced" if job is not None else "added"].append(spec.id)
    return changes


def run_forever(settings: Settings, stop: threading.Event | None = None) -> None:
    """`deskwatch run`: schedule everything and block until SIGINT/SIGTERM (or `stop`), then stop cleanly:
    no new jobs, running crawls terminated and recorded, running jobs finished."""
    rt = configure(settings)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: stop.set())
    scheduler = build_scheduler(settings, rt.store)
    scheduler.start(paused=True)
    changes = sync_jobs(scheduler, plan_jobs(settings), first_crawl_stagger_s=FIRST_CRAWL_STAGGER_S)
    log.info("scheduler jobs: %s", {k: len(v) for k, v in changes.items()})
    scheduler.resume()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log.info("stopping the scheduler")
        rt.stopping.set()
        scheduler.pause()
        for child in list(rt.children.values()):
            _kill(child)  # its job thread records the run as interrupted
        scheduler.shutdown(wait=True)
        rt.store.close()


def planned_jobs_report(settings: Settings, now: datetime | None = None) -> list[dict[str, Any]]:
    """`deskwatch jobs`: each planned job with its next run time, from the job store when a scheduler
    has stored it, else computed from the trigger (marked stored=False)."""
    now = now or datetime.now(UTC)
    store = Store(settings.db_url)
    try:
        jobstore = SQLAlchemyJobStore(engine=store.engine, tablename=JOB_TABLE)
        jobstore.start(BackgroundScheduler(timezone=settings.timezone), "default")
        report = []
        for spec in plan_jobs(settings):
            job = jobstore.lookup_job(spec.id)
            next_run = job.next_run_time if job is not None else spec.trigger.get_next_fire_time(None, now)
            report.append({"id": spec.id, "trigger": str(spec.trigger), "stored": job is not None,
                           "next_run_time": next_run.isoformat() if next_run else None})
        return report
    finally:
        store.close()
