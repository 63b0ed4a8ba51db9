"""EMR: the hooks through which the local EMR runtime (mlpipe/local_cloud/emr.py) runs steps."""

from __future__ import annotations

from typing import Any


def hook_emr_runtime(runtime: Any) -> None:
    """The local EMR runtime's hooks: AddJobFlowSteps wakes ``runtime``'s cluster worker (spark-submit per step), TerminateJobFlows kills running steps, step status carries FailureDetails."""
    from moto.emr.models import Cluster, Step

    original_add, original_terminate, original_status = (
        Cluster.add_steps,
        Cluster.terminate,
        Step.status,
    )

    def add_steps(cluster: Any, steps: Any) -> Any:
        added = original_add(cluster, steps)
        for step in added:
            step.state = "PENDING"
        cluster.state = "RUNNING"
        runtime._wake(cluster)
        return added

    def terminate(cluster: Any) -> None:
        for step in cluster.steps:
            if step.state == "RUNNING":
                runtime.procs.kill(step.id)
            elif step.state == "PENDING":
                step.state = "CANCELLED"
        original_terminate(cluster)

    def status(step: Any) -> dict[str, Any]:
        out: dict[str, Any] = original_status.fget(step)  # type: ignore[attr-defined]  # a property at run time
        details = getattr(step, "_mlpipe_failure", None)
        if details:
            out["FailureDetails"] = details
        return out

    # moto's methods are replaced on purpose: this is how the runtime hooks in
    Cluster.add_steps = add_steps  # type: ignore[method-assign,assignment]
    Cluster.terminate = terminate  # type: ignore[method-assign,assignment]
    Step.status = property(status)  # type: ignore[method-assign,assignment]
