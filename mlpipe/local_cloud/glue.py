"""Glue runtime for the local cloud: ``StartJobRun`` really runs the job script on Spark.

moto keeps the job definitions, merges DefaultArguments with the run's Arguments and
enforces MaxConcurrentRuns (``ConcurrentRunsExceededException``); it then only fakes the
run (STARTING -> RUNNING -> SUCCEEDED on reads). Here each new run is handed to a worker
thread that

1. downloads the script and ``--extra-py-files`` from the emulated S3,
2. stages every ``s3://`` argument to a local mirror (see ``staging.py``),
3. runs ``spark-submit`` (one JVM per run: a failing job cannot break the next one),
   killed with its process group at the job's Timeout,
4. syncs the outputs back to S3, and writes driver stdout/stderr to CloudWatch Logs
   ``/aws-glue/jobs/output`` and ``/aws-glue/jobs/error`` (stream = run id).

The run's state is STARTING -> RUNNING -> SUCCEEDED | FAILED | TIMEOUT with ErrorMessage
(the job's one-line error), ExecutionTime, StartedOn and CompletedOn.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlpipe.aws import endpoint_client
from mlpipe.local_cloud.process import ProcessRegistry, WarmSpark
from mlpipe.local_cloud.staging import S3Mirror
from mlpipe.spark import error_line, spark_submit_cmd

LOG = logging.getLogger("mlpipe.local_cloud.glue")
LOG_GROUPS = {"output": "/aws-glue/jobs/output", "error": "/aws-glue/jobs/error"}
RUNNER_ARGS = {"--extra-py-files"}  # consumed by the runner, not passed to the script
DEFAULT_TIMEOUT_MINUTES = 2880  # Glue's default


class GlueRuntime:
    def __init__(
        self, endpoint: str, work_root: Path, minute_seconds: float = 60.0, workers: int = 2
    ):
        self.endpoint = endpoint
        self.work_root = Path(work_root)
        self.minute_seconds = minute_seconds  # tests shrink Glue's minute-based Timeout
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="glue-run")
        self.procs = ProcessRegistry()
        # One warm driver shared by runs (no JVM start per run); MLPIPE_WARM_SPARK=0 turns it off.
        warm = os.environ.get("MLPIPE_WARM_SPARK", "1") != "0"
        self.warm = WarmSpark(self.work_root / "warm-driver.log") if warm else None

    # ------------------------------------------------------------------ moto hooks
    def install(self) -> None:
        from moto.glue.models import FakeJob, FakeJobRun
        from moto.moto_api._internal.managed_state_model import ManagedState

        runtime = self
        original_start = FakeJob.start_job_run
        original_as_dict = FakeJobRun.as_dict
        managed_status = ManagedState.status

        def start_job_run(job, *args, **kwargs):
            run_id = original_start(job, *args, **kwargs)  # concurrency check + argument merge
            run = next(r for r in job.job_runs if r.job_run_id == run_id)
            run._mlpipe = {
                "state": "STARTING",
                "started": time.time(),
                "completed": None,
                "error": None,
                "job": job,
            }
            runtime.pool.submit(runtime._run, job, run)
            return run_id

        def status(run):
            meta = getattr(run, "_mlpipe", None)
            return meta["state"] if meta else managed_status.fget(run)

        def as_dict(run):
            out = original_as_dict(run)
            meta = getattr(run, "_mlpipe", None)
            if meta:
                end = meta["completed"] or time.time()
                out["ExecutionTime"] = int(end - meta["started"])
                out["GlueVersion"] = getattr(meta["job"], "glue_version", None) or "5.0"
                out["LogGroupName"] = "/aws-glue/jobs"
                if not meta["completed"]:
                    out.pop("CompletedOn", None)
                if meta["error"]:
                    out["ErrorMessage"] = meta["error"]
            return out

        FakeJob.start_job_run = start_job_run
        FakeJobRun.status = property(status, managed_status.fset)
        FakeJobRun.as_dict = as_dict

    # ------------------------------------------------------------------ a run
    def _timeout_seconds(self, job, run) -> float:
        minutes = run.timeout or getattr(job, "timeout", None) or DEFAULT_TIMEOUT_MINUTES
        return float(minutes) * self.minute_seconds

    def _run(self, job, run) -> None:
        meta = run._mlpipe
        workdir = Path(tempfile.mkdtemp(prefix=f"{run.job_run_id[:12]}-", dir=self.work_root))
        stdout = stderr = ""
        try:
            meta["state"] = "RUNNING"
            s3 = endpoint_client("s3", self.endpoint)
            mirror = S3Mirror(s3, workdir / "s3")
            script = str(mirror.pull_object(job.command["ScriptLocation"]))
            args = dict(run.arguments or {})
            py_files = [
                str(mirror.pull_object(u.strip()))
                for u in args.get("--extra-py-files", "").split(",")
                if u.strip()
            ]
            argv: list[str] = []
            for key, value in args.items():
                if key in RUNNER_ARGS:
                    continue
                argv += [key, mirror.pull(value) if str(value).startswith("s3://") else str(value)]
            argv += ["--JOB_NAME", job.name, "--JOB_RUN_ID", run.job_run_id]
            cmd = spark_submit_cmd(
                script, argv, py_files=py_files, conf={"spark.local.dir": str(workdir / "spark")}
            )
            timeout = self._timeout_seconds(job, run)
            result = self.warm.run(script, argv, py_files, workdir, timeout) if self.warm else None
            if result is None:  # warm driver off, or busy with another run
                result = self.procs.run(run.job_run_id, cmd, workdir, timeout=timeout)
            code, stdout, stderr, timed_out = (
                result.code,
                result.stdout,
                result.stderr,
                result.timed_out,
            )
            stdout, stderr = mirror.to_uris(stdout), mirror.to_uris(stderr)
            if timed_out:
                minutes = self._timeout_seconds(job, run) / self.minute_seconds
                meta["error"] = f"Job run timed out after {minutes:g} minute(s)"
                meta["state"] = "TIMEOUT"
            else:
                mirror.push()
                if code == 0:
                    meta["state"] = "SUCCEEDED"
                else:
                    meta["error"] = error_line(stdout, stderr)
                    meta["state"] = "FAILED"
        except Exception as exc:  # staging or launch failed: the run fails, the server lives
            LOG.exception("glue run %s failed", run.job_run_id)
            meta["error"] = f"{type(exc).__name__}: {exc}"
            meta["state"] = "FAILED"
        finally:
            meta["completed"] = time.time()
            run.completed_on = run.modified_on = _utcnow()
            self._write_logs(run.job_run_id, stdout, stderr, meta["error"])
            shutil.rmtree(workdir, ignore_errors=True)

    def stop_all(self) -> None:
        self.procs.kill_all()
        if self.warm:
            self.warm.stop()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _write_logs(self, run_id: str, stdout: str, stderr: str, error: str | None) -> None:
        try:
            logs = endpoint_client("logs", self.endpoint)
            streams = {"output": stdout, "error": stderr + (f"\nERROR: {error}\n" if error else "")}
            for kind, text in streams.items():
                group = LOG_GROUPS[kind]
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


def _utcnow():
    from moto.core.utils import utcnow

    return utcnow()
