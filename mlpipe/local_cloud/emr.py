"""EMR runtime for the local cloud: cluster steps really run with spark-submit.

moto keeps clusters (RunJobFlow -> WAITING, TerminateJobFlows -> TERMINATED) but leaves steps
RUNNING forever. Here every cluster gets a worker thread that runs its steps in order:

* ``command-runner.jar`` ``spark-submit ...`` args are translated for local Spark
  (``--deploy-mode``/``--master``/executor sizing dropped, ``s3://`` app, ``--py-files`` and
  arguments staged to a local mirror, outputs synced back only when the step succeeded);
* steps go PENDING -> RUNNING -> COMPLETED | FAILED (FailureDetails with the one-line error);
* ``ActionOnFailure``: CONTINUE (cluster back to WAITING), CANCEL_AND_WAIT (pending steps
  CANCELLED), TERMINATE_CLUSTER / TERMINATE_JOB_FLOW (TERMINATED_WITH_ERRORS);
* with ``KeepJobFlowAliveWhenNoSteps`` false the cluster terminates when no step remains;
* ``TerminateJobFlows`` kills a running step and cancels pending ones;
* step stdout/stderr go to ``<LogUri><cluster>/steps/<step>/stdout.gz|stderr.gz``, as on EMR.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from mlpipe.aws import endpoint_client, split_s3
from mlpipe.local_cloud.clock import naive_utcnow
from mlpipe.local_cloud.process import ProcessRegistry
from mlpipe.local_cloud.staging import S3Mirror
from mlpipe.logs import emr_step_log_prefix
from mlpipe.spark import error_line, spark_submit_cmd

LOG = logging.getLogger("mlpipe.local_cloud.emr")

# spark-submit options that take a value; those in IGNORED mean nothing on local Spark.
VALUE_OPTIONS = {
    "--deploy-mode",
    "--master",
    "--conf",
    "--py-files",
    "--class",
    "--name",
    "--driver-memory",
    "--executor-memory",
    "--num-executors",
    "--executor-cores",
    "--jars",
    "--files",
    "--packages",
    "--driver-cores",
    "--queue",
    "--archives",
    "--properties-file",
}
IGNORED = {
    "--deploy-mode",
    "--master",
    "--executor-memory",
    "--num-executors",
    "--executor-cores",
    "--driver-cores",
    "--queue",
}
TERMINATE_ACTIONS = {"TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"}


class StepError(ValueError):
    pass


def translate_spark_submit(args: list[str]) -> dict[str, Any]:
    """``command-runner.jar`` args -> {app, app_args, conf, py_files} for local spark-submit."""
    if not args or args[0] != "spark-submit":
        raise StepError(
            f"the local cloud runs command-runner.jar 'spark-submit ...' steps, got {args[:1]}"
        )
    conf: dict[str, str] = {}
    py_files: list[str] = []
    i = 1
    while i < len(args) and args[i].startswith("--"):
        opt = args[i]
        if opt not in VALUE_OPTIONS:
            i += 1  # a flag such as --verbose
            continue
        if i + 1 >= len(args):
            raise StepError(f"spark-submit option {opt} has no value")
        value = args[i + 1]
        if opt == "--conf":
            key, _, val = value.partition("=")
            conf[key] = val
        elif opt == "--py-files":
            py_files += [v for v in value.split(",") if v]
        elif opt not in IGNORED and opt not in ("--name",):
            raise StepError(f"spark-submit option {opt} is not supported by the local cloud")
        i += 2
    if i >= len(args):
        raise StepError("spark-submit step has no application")
    return {"app": args[i], "app_args": list(args[i + 1 :]), "conf": conf, "py_files": py_files}


class EmrRuntime:
    def __init__(self, endpoint: str, work_root: Path, record_dir: Path | None = None):
        self.endpoint = endpoint
        self.work_root = Path(work_root)
        self.procs = ProcessRegistry(record_dir)
        self._workers: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def install(self) -> None:
        """Hook this runtime into moto (the hook lives in mlpipe/local_cloud/patches/)."""
        from mlpipe.local_cloud.patches.emr import hook_emr_runtime

        hook_emr_runtime(self)

    def stop_all(self) -> None:
        self.procs.kill_all()

    # ------------------------------------------------------------------ cluster worker
    def _wake(self, cluster: Any) -> None:
        with self._lock:
            worker = self._workers.get(cluster.id)
            if worker and worker.is_alive():
                return
            worker = threading.Thread(
                target=self._drain, args=(cluster,), name=f"emr-{cluster.id}", daemon=True
            )
            self._workers[cluster.id] = worker
            worker.start()

    def _drain(self, cluster: Any) -> None:
        while True:
            with self._lock:
                step = next((s for s in cluster.steps if s.state == "PENDING"), None)
                if step is None or cluster.state.startswith("TERMINAT"):
                    self._workers.pop(cluster.id, None)
                    if not cluster.state.startswith("TERMINAT"):
                        if cluster.keep_job_flow_alive_when_no_steps:
                            cluster.state = "WAITING"
                        else:
                            cluster.terminate()
                    return
                step.state = "RUNNING"
                step.start()
            self._run_step(cluster, step)
            if step.state == "FAILED":
                self._on_failure(cluster, step)

    def _on_failure(self, cluster: Any, step: Any) -> None:
        action = step.action_on_failure
        if action in TERMINATE_ACTIONS or action == "CANCEL_AND_WAIT":
            for other in cluster.steps:
                if other.state == "PENDING":
                    other.state = "CANCELLED"
        if action in TERMINATE_ACTIONS:
            cluster.terminate()
            cluster.state = "TERMINATED_WITH_ERRORS"

    def _run_step(self, cluster: Any, step: Any) -> None:
        self.work_root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"{step.id}-", dir=self.work_root))
        stdout = stderr = ""
        try:
            if step.jar != "command-runner.jar":
                raise StepError(f"the local cloud runs command-runner.jar steps, got {step.jar!r}")
            plan = translate_spark_submit(list(step.args))
            mirror = S3Mirror(endpoint_client("s3", self.endpoint), workdir / "s3")

            def stage(v: str) -> str:
                return mirror.pull(v) if v.startswith("s3://") else v

            app = (
                str(mirror.pull_object(plan["app"]))
                if plan["app"].startswith("s3://")
                else plan["app"]
            )
            py_files = [
                str(mirror.pull_object(p)) if p.startswith("s3://") else p for p in plan["py_files"]
            ]
            cmd = spark_submit_cmd(
                app,
                [stage(a) for a in plan["app_args"]],
                py_files=py_files,
                conf={**plan["conf"], "spark.local.dir": str(workdir / "spark")},
            )
            result = self.procs.run(step.id, cmd, workdir)
            stdout, stderr = mirror.to_uris(result.stdout), mirror.to_uris(result.stderr)
            if result.killed:
                step.state = "CANCELLED"
            elif result.code == 0:
                mirror.push()
                step.state = "COMPLETED"
            else:  # a failed step publishes nothing
                self._fail(cluster, step, error_line(stdout, stderr))
        except Exception as exc:  # a bad step fails; the server lives
            LOG.info("step %s failed before running: %s", step.id, exc)
            self._fail(cluster, step, str(exc))
        finally:
            step.end_date_time = naive_utcnow()
            self._write_logs(cluster, step, stdout, stderr)
            shutil.rmtree(workdir, ignore_errors=True)

    def _fail(self, cluster: Any, step: Any, message: str) -> None:
        step.state = "FAILED"
        step.last_state_change_reason = message
        step._mlpipe_failure = {
            "Reason": "Step failed",
            "Message": message,
            "LogFile": self._log_prefix(cluster, step) or "",
        }

    def _log_prefix(self, cluster: Any, step: Any) -> str | None:
        if not cluster.log_uri:
            return None
        return emr_step_log_prefix(cluster.log_uri, cluster.id, step.id)  # EMR's layout

    def _write_logs(self, cluster: Any, step: Any, stdout: str, stderr: str) -> None:
        prefix = self._log_prefix(cluster, step)
        if not prefix or not prefix.startswith("s3://"):
            return
        try:
            s3 = endpoint_client("s3", self.endpoint)
            bucket, key = split_s3(prefix)
            for name, text in (("stdout.gz", stdout), ("stderr.gz", stderr)):
                s3.put_object(Bucket=bucket, Key=key + name, Body=gzip.compress(text.encode()))
        except Exception:
            LOG.exception("could not write step logs for %s", step.id)
