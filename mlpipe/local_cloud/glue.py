"""Glue runtime for the local cloud: ``StartJobRun`` really runs the job script on Spark.

moto keeps the job definitions, merges DefaultArguments with the run's Arguments and
enforces MaxConcurrentRuns (``ConcurrentRunsExceededException``); it then only fakes the
run (STARTING -> RUNNING -> SUCCEEDED on reads). Here each new run is handed to a worker
thread that

1. downloads the script and ``--extra-py-files`` from the emulated S3,
2. stages the ``s3://`` arguments to a local mirror (see ``staging.py``): with a
   ``--run_date`` argument, prefixes that name no run date are staged for that date only;
   the original URI of ``--input`` is passed on as ``--source_uri``,
3. runs the script on the warm driver (``process.WarmSpark``; health-checked before each run,
   a run whose driver died is retried once on a fresh one) or with ``spark-submit`` when the
   driver is busy, killed with its process group at the job's Timeout,
4. syncs the outputs back to S3 only when the job succeeded, and writes driver
   stdout/stderr to CloudWatch Logs ``<prefix>/output`` and ``<prefix>/error`` (prefix: the
   run's ``--custom-logGroup-prefix``, as on Glue 5.0, else ``/aws-glue/jobs``)
   (stream = run id).

The run's state is STARTING -> RUNNING -> SUCCEEDED | FAILED | TIMEOUT with ErrorMessage
(the job's one-line error), ExecutionTime, StartedOn and CompletedOn. ``BatchStopJobRun``
(patch ``glue_batch_stop_job_run``) calls ``stop_run``: the run's process is killed, nothing is
pushed, and the state goes STOPPING -> STOPPED.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mlpipe.aws import endpoint_client
from mlpipe.local_cloud.clock import naive_utcnow
from mlpipe.local_cloud.process import Outcome, ProcessRegistry, WarmSpark
from mlpipe.local_cloud.staging import ConfinementError, S3Mirror, valid_run_date
from mlpipe.logs import GLUE_DEFAULT_LOG_PREFIX, GLUE_LOG_PREFIX_ARG, glue_log_groups
from mlpipe.spark import error_line, spark_submit_cmd

LOG = logging.getLogger("mlpipe.local_cloud.glue")
RUNNER_ARGS = {"--extra-py-files"}  # consumed by the runner, not passed to the script
SOURCE_ARGS = {"--input": "--source_uri"}  # staged argument -> argument carrying its s3:// URI
DEFAULT_TIMEOUT_MINUTES = 2880  # Glue's default


class GlueRuntime:
    def __init__(
        self,
        endpoint: str,
        work_root: Path,
        minute_seconds: float = 60.0,
        workers: int = 2,
        record_dir: Path | None = None,
    ):
        self.endpoint = endpoint
        self.work_root = Path(work_root)
        self.minute_seconds = minute_seconds  # tests shrink Glue's minute-based Timeout
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="glue-run")
        self.procs = ProcessRegistry(record_dir)
        # One warm driver shared by runs (no JVM start per run); MLPIPE_WARM_SPARK=0 turns it off.
        warm = os.environ.get("MLPIPE_WARM_SPARK", "1") != "0"
        self.warm = (
            WarmSpark(self.work_root / "warm-driver.log", record_dir=record_dir) if warm else None
        )

    # ------------------------------------------------------------------ moto hooks
    def install(self) -> None:
        """Hook this runtime into moto (the hook lives in mlpipe/local_cloud/patches/)."""
        from mlpipe.local_cloud.patches.glue import hook_glue_runtime

        hook_glue_runtime(self)

    def _timeout_seconds(self, job: Any, run: Any) -> float:
        minutes = run.timeout or getattr(job, "timeout", None) or DEFAULT_TIMEOUT_MINUTES
        return float(minutes) * self.minute_seconds

    def stop_run(self, run: Any) -> bool:
        """BatchStopJobRun: kill the run's process (or keep it from starting); nothing of it is
        pushed to S3. False when the run already ended, or already published its outputs (a
        stop that arrives while the run publishes waits for it, and is then too late: the run
        is SUCCEEDED, never STOPPED with its outputs in S3)."""
        meta = run._mlpipe
        with meta["lock"]:
            if meta["state"] not in ("STARTING", "RUNNING", "WAITING") or meta["published"]:
                return False
            meta["stop_requested"] = True
            meta["state"] = "STOPPING"
        self.procs.kill(run.job_run_id)
        if self.warm:
            self.warm.kill(run.job_run_id)
        return True

    def _stage(self, job: Any, run: Any, mirror: S3Mirror) -> tuple[str, list[str], list[str]]:
        """(script, argv, py_files) with every s3:// argument staged into ``mirror``."""
        script = str(mirror.pull_object(job.command["ScriptLocation"]))
        args = dict(run.arguments or {})
        run_date = args.get("--run_date")
        if run_date is not None:
            try:
                valid_run_date(run_date)
            except ValueError as exc:
                raise ConfinementError(f"--run_date: {exc}") from None
        py_files = [
            str(mirror.pull_object(u.strip()))
            for u in args.get("--extra-py-files", "").split(",")
            if u.strip()
        ]
        argv: list[str] = []
        for key, value in args.items():
            if key in RUNNER_ARGS:
                continue
            value = str(value)
            if value.startswith("s3://"):
                argv += [key, mirror.pull(value, run_date=run_date)]
                source = SOURCE_ARGS.get(key)
                if source and source not in args:
                    argv += [source, value]
            else:
                argv += [key, value]
        argv += ["--JOB_NAME", job.name, "--JOB_RUN_ID", run.job_run_id]
        return script, argv, py_files

    def _attempt(self, job: Any, run: Any, workdir: Path) -> tuple[Outcome, S3Mirror, str]:
        """Stage, run once, and push on success. Returns (outcome, mirror, the runtime's own
        line for the run's output log: what it staged and published, empty if nothing was)."""
        started = time.perf_counter()
        mirror = S3Mirror(endpoint_client("s3", self.endpoint), workdir / "s3")
        script, argv, py_files = self._stage(job, run, mirror)
        staged = time.perf_counter()
        timeout = self._timeout_seconds(job, run)
        result = None
        if self.warm:
            result = self.warm.run(script, argv, py_files, workdir, timeout, key=run.job_run_id)
        if result is None:  # warm driver off, or busy with another run
            cmd = spark_submit_cmd(
                script, argv, py_files=py_files, conf={"spark.local.dir": str(workdir / "spark")}
            )
            result = self.procs.run(run.job_run_id, cmd, workdir, timeout=timeout)
        meta = run._mlpipe
        phases = ""
        if result.code == 0 and not result.timed_out and not result.killed:
            with meta["lock"]:  # a stop is either before this (nothing pushed) or too late
                if not meta["stop_requested"]:
                    ran = time.perf_counter()
                    pushed = mirror.push()  # only a successful run publishes anything
                    meta["published"] = True
                    phases = (
                        f"mlpipe local Glue runtime: staged {mirror.staged_count()} object(s) "
                        f"in {staged - started:.2f} s; job {ran - staged:.2f} s; "
                        f"published {pushed['uploaded']} and deleted {pushed['deleted']} "
                        f"object(s) in {time.perf_counter() - ran:.2f} s"
                    )
        return result, mirror, phases

    def _run(self, job: Any, run: Any) -> None:
        meta = run._mlpipe
        stdout = stderr = ""
        try:
            if meta["stop_requested"]:
                return
            meta["state"] = "RUNNING"
            self.work_root.mkdir(parents=True, exist_ok=True)
            for attempt in (1, 2):
                workdir = Path(
                    tempfile.mkdtemp(prefix=f"{run.job_run_id[:12]}-", dir=self.work_root)
                )
                try:
                    result, mirror, phases = self._attempt(job, run, workdir)
                finally:
                    shutil.rmtree(workdir, ignore_errors=True)
                stdout, stderr = mirror.to_uris(result.stdout), mirror.to_uris(result.stderr)
                if result.driver_died and attempt == 1 and not meta["stop_requested"]:
                    LOG.warning("run %s: the warm driver died; retrying once", run.job_run_id)
                    continue
                break
            if meta["stop_requested"] or result.killed:
                return
            if result.timed_out:
                minutes = self._timeout_seconds(job, run) / self.minute_seconds
                meta["error"] = f"Job run timed out after {minutes:g} minute(s)"
                meta["state"] = "TIMEOUT"
            elif result.code == 0:
                meta["state"] = "SUCCEEDED"
                stdout += f"\n{phases}\n"
            else:
                meta["error"] = error_line(stdout, stderr)
                meta["state"] = "FAILED"
        except ConfinementError as exc:
            meta["error"] = str(exc)
            meta["state"] = "FAILED"
        except Exception as exc:  # staging or launch failed: the run fails, the server lives
            LOG.exception("glue run %s failed", run.job_run_id)
            meta["error"] = f"{type(exc).__name__}: {exc}"
            meta["state"] = "FAILED"
        finally:
            if meta["stop_requested"]:
                meta["state"] = "STOPPED"
                meta["error"] = meta["error"] or "Job run stopped by BatchStopJobRun"
            meta["completed"] = time.time()
            run.completed_on = run.modified_on = _utcnow()
            self._write_logs(run, stdout, stderr, meta["error"])

    def stop_all(self) -> None:
        self.procs.kill_all()
        if self.warm:
            self.warm.stop()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _write_logs(self, run: Any, stdout: str, stderr: str, error: str | None) -> None:
        run_id = run.job_run_id
        # Glue 5.0: --custom-logGroup-prefix picks the groups (run.arguments already holds the
        # job's DefaultArguments merged with the run's, as _stage reads them)
        prefix = (run.arguments or {}).get(GLUE_LOG_PREFIX_ARG) or GLUE_DEFAULT_LOG_PREFIX
        groups = glue_log_groups(prefix)
        try:
            logs = endpoint_client("logs", self.endpoint)
            streams = {"output": stdout, "error": stderr + (f"\nERROR: {error}\n" if error else "")}
            for kind, text in streams.items():
                group = groups[kind]
                try:
                    logs.create_log_group(logGroupName=group)
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass
                logs.create_log_stream(logGroupName=group, logStreamName=run_id)
                now = int(time.time() * 1000)
                events = [
                    {"timestamp": now, "message": line}
                    for line in text.splitlines()
                    if line.strip()
                ]
                for start in range(0, len(events), 5000):
                    logs.put_log_events(
                        logGroupName=group,
                        logStreamName=run_id,
                        logEvents=events[start : start + 5000],
                    )
        except Exception:  # logs are best effort; the run's state is already set
            LOG.exception("could not write logs for %s", run_id)


def _utcnow() -> Any:
    return naive_utcnow()
