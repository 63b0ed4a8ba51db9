"""Glue: the job API calls the Terraform AWS provider makes."""

from __future__ import annotations

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
    from moto.glue.models import FakeJob

    import inspect

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


PATCHES = {
    "glue_update_job": _patch_glue_update_job,
    "glue_execution_class": _patch_glue_execution_class,
}
