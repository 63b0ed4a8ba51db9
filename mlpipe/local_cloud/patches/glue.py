"""Glue: the job API calls the Terraform AWS provider makes."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

from mlpipe.local_cloud.patches._registry import ORIGINALS

# --------------------------------------------------------------------------- glue_update_job
# moto has no UpdateJob, so any change to a Glue job (script, arguments, sizing) fails on
# apply. AWS replaces the whole job definition with JobUpdate (omitted fields reset).

JOB_UPDATE_FIELDS = {
    "Role": "role",
    "Command": "command",
    "Description": "description",
    "LogUri": "log_uri",
    "ExecutionProperty": "execution_property",
    "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections",
    "MaxRetries": "max_retries",
    "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout",
    "MaxCapacity": "max_capacity",
    "WorkerType": "worker_type",
    "NumberOfWorkers": "number_of_workers",
    "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version",
    "CodeGenConfigurationNodes": "code_gen_configuration_nodes",
    "ExecutionClass": "execution_class",
    "SourceControlDetails": "source_control_details",
}


def apply_job_update(job: Any, update: dict[str, Any]) -> None:
    """Replace ``job``'s definition with ``update`` (a JobUpdate), as UpdateJob does."""
    from moto.core.utils import utcnow

    for key, attr in JOB_UPDATE_FIELDS.items():
        value = update.get(key)
        if attr in ("execution_property", "default_arguments") and value is None:
            value = {}
        setattr(job, attr, value)
    job.last_modified_on = utcnow()


def _patch_glue_update_job() -> None:
    from moto.core.responses import ActionResult
    from moto.glue.responses import GlueResponse

    ORIGINALS["glue_update_job"] = getattr(GlueResponse, "update_job", None)

    def update_job(self: Any) -> Any:
        name = self._get_param("JobName")
        job = self.glue_backend.get_job(name)  # JobNotFoundException -> EntityNotFound
        apply_job_update(job, self._get_param("JobUpdate") or {})
        return ActionResult({"JobName": name})

    GlueResponse.update_job = update_job


# --------------------------------------------------------------------------- glue_execution_class
# moto reports ExecutionClass "STANDARD" for a job created without one; the provider then
# plans to unset it on every plan. Report it only when the job definition has one.


def _patch_glue_execution_class() -> None:
    import inspect

    from moto.glue.models import FakeJob

    original_init, original_as_dict = FakeJob.__init__, FakeJob.as_dict
    ORIGINALS["glue_execution_class"] = (original_init, original_as_dict)
    signature = inspect.signature(original_init)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        given = signature.bind(self, *args, **kwargs).arguments.get("execution_class")
        self.execution_class = given or None

    def as_dict(self: Any) -> dict[str, Any]:
        out: dict[str, Any] = original_as_dict(self)
        if not out.get("ExecutionClass"):
            out.pop("ExecutionClass", None)
        return out

    FakeJob.__init__ = init
    FakeJob.as_dict = as_dict


def hook_glue_runtime(runtime: Any) -> None:
    """The local Glue runtime's hooks: StartJobRun hands the run to ``runtime`` (which runs the script), and run state/ExecutionTime/ErrorMessage come from it."""
    from moto.glue.models import FakeJob, FakeJobRun
    from moto.moto_api._internal.managed_state_model import ManagedState

    original_start = FakeJob.start_job_run
    original_as_dict = FakeJobRun.as_dict
    managed_status = ManagedState.status

    def start_job_run(job: Any, *args: Any, **kwargs: Any) -> str:
        run_id: str = original_start(job, *args, **kwargs)  # concurrency check + merge
        run = next(r for r in job.job_runs if r.job_run_id == run_id)
        run._mlpipe = {
            "state": "STARTING",
            "started": time.time(),
            "completed": None,
            "error": None,
            "job": job,
            "stop_requested": False,
            "published": False,
            # stop vs publish: one wins, never both (GlueRuntime.stop_run / _attempt)
            "lock": threading.Lock(),
        }
        run._mlpipe_stop = partial(runtime.stop_run, run)
        runtime.pool.submit(runtime._run, job, run)
        return run_id

    def status(run: Any) -> Any:
        meta = getattr(run, "_mlpipe", None)
        return meta["state"] if meta else managed_status.fget(run)  # type: ignore[attr-defined]  # a property at run time

    def as_dict(run: Any) -> dict[str, Any]:
        out: dict[str, Any] = original_as_dict(run)
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

    # moto's methods are replaced on purpose: this is how the runtime hooks in
    FakeJob.start_job_run = start_job_run  # type: ignore[method-assign,assignment]
    FakeJobRun.status = property(status, managed_status.fset)  # type: ignore[method-assign,assignment,attr-defined]
    FakeJobRun.as_dict = as_dict  # type: ignore[method-assign,assignment]


# ------------------------------------------------------------------ a run


PATCHES = {
    "glue_update_job": _patch_glue_update_job,
    "glue_execution_class": _patch_glue_execution_class,
}
