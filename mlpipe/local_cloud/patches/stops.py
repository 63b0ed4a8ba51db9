"""Stopping running work: Glue BatchStopJobRun, SageMaker StopTransformJob.

moto 5.2.5 has neither API, so cleanup/destroy (and the AWS provider) could not stop a run:
the request died with an HTML 500 page and the run went on to commit its outputs. These
patches answer both. A run that a local runtime executes carries a ``_mlpipe_stop`` hook
(set by ``glue.py`` / ``sagemaker.py``) that kills or cancels the work; the response is what
AWS returns.
"""

from __future__ import annotations

from typing import Any

from mlpipe.local_cloud.patches._registry import ORIGINALS

GLUE_ACTIVE = ("STARTING", "RUNNING", "WAITING", "STOPPING")


# --------------------------------------------------------------------------- glue_batch_stop_job_run
def batch_stop_job_run(backend: Any, job_name: str, run_ids: list[str]) -> dict[str, Any]:
    """BatchStopJobRun's response body: each run is stopped through its hook, or an error."""
    successes, errors = [], []
    job = backend.jobs.get(job_name)
    for run_id in run_ids:
        run = next((r for r in (job.job_runs if job else []) if r.job_run_id == run_id), None)
        if run is None:
            detail = {
                "ErrorCode": "EntityNotFoundException",
                "ErrorMessage": f"Job run {run_id} of job {job_name} not found",
            }
        elif run.status not in GLUE_ACTIVE:
            detail = {
                "ErrorCode": "InvalidInputException",
                "ErrorMessage": f"Job run {run_id} is already {run.status}",
            }
        else:
            stop = getattr(run, "_mlpipe_stop", None)
            if stop is None or stop() or run.status in ("STOPPING", "STOPPED"):
                successes.append({"JobName": job_name, "JobRunId": run_id})
                continue
            detail = {
                "ErrorCode": "InvalidInputException",
                "ErrorMessage": f"Job run {run_id} is already {run.status}",
            }
        errors.append({"JobName": job_name, "JobRunId": run_id, "ErrorDetail": detail})
    return {"SuccessfulSubmissions": successes, "Errors": errors}


def _patch_glue_batch_stop_job_run() -> None:
    from moto.core.responses import ActionResult
    from moto.glue.responses import GlueResponse

    ORIGINALS["glue_batch_stop_job_run"] = getattr(GlueResponse, "batch_stop_job_run", None)

    def response(self: GlueResponse) -> ActionResult:
        body = batch_stop_job_run(
            self.glue_backend, self._get_param("JobName"), self._get_param("JobRunIds") or []
        )
        return ActionResult(body)

    GlueResponse.batch_stop_job_run = response  # moto lacks the action: add it


# --------------------------------------------------------------------------- sagemaker_stop_transform_job
def stop_transform_job(backend: Any, name: str) -> None:
    """StopTransformJob: an InProgress job goes Stopping (its hook cancels the work, which ends
    Stopped); a finished job is left as it is, as on AWS; an unknown one is a ValidationError."""
    from moto.sagemaker.exceptions import ValidationError

    job = backend.transform_jobs.get(name)
    if job is None:
        raise ValidationError(message=f"Could not find transform job '{name}'.")
    if job.transform_job_status != "InProgress":
        return
    job.transform_job_status = "Stopping"
    stop = getattr(job, "_mlpipe_stop", None)
    if stop is None:
        job.transform_job_status = "Stopped"
    else:
        stop()


def _patch_sagemaker_stop_transform_job() -> None:
    from moto.core.responses import EmptyResult
    from moto.sagemaker.responses import SageMakerResponse

    ORIGINALS["sagemaker_stop_transform_job"] = getattr(
        SageMakerResponse, "stop_transform_job", None
    )

    def response(self: SageMakerResponse) -> EmptyResult:
        stop_transform_job(self.sagemaker_backend, self._get_param("TransformJobName"))
        return EmptyResult()

    SageMakerResponse.stop_transform_job = response  # moto lacks the action: add it


PATCHES = {
    "glue_batch_stop_job_run": _patch_glue_batch_stop_job_run,
    "sagemaker_stop_transform_job": _patch_sagemaker_stop_transform_job,
}
