"""The local cloud server process: moto (patched) + mlpipe runtimes on one port.

    python -m mlpipe.local_cloud.server --host 127.0.0.1 --port 4566 --state-dir .mlpipe/local

Started in the background by ``invoke local.up`` (and the test fixture) through
``mlpipe.local_cloud.control``; stopped with SIGTERM, which also kills running job processes.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

READY_LINE = "mlpipe local cloud ready on"
# Start the warm Spark driver at start-up (`invoke local.up` and the test session's cloud set it;
# short-lived test servers don't, to spare a JVM start each).
PRESTART_ENV = "MLPIPE_WARM_SPARK_PRESTART"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--state-dir", default=".mlpipe/local")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from mlpipe.aws import endpoint_client
    from mlpipe.local_cloud.control import JOBS_DIR, WORK_DIRS, port_free
    from mlpipe.local_cloud.emr import EmrRuntime
    from mlpipe.local_cloud.glue import GlueRuntime
    from mlpipe.local_cloud.patches import apply_all
    from mlpipe.local_cloud.sagemaker import SageMakerRuntime
    from mlpipe.local_cloud.scheduler import Scheduler
    from mlpipe.local_cloud.tls import Listeners

    applied = apply_all()
    from mlpipe.local_cloud.patches import serve_state_machines
    from mlpipe.local_cloud.patches.iam import warm_up

    serve_state_machines()  # Step Functions executions really run (moto's ASL interpreter)
    warm_up()  # before the port opens: see warm_up's docstring
    listeners = Listeners(args.host, args.port, args.state_dir)
    endpoint = listeners.endpoint  # HTTPS: see mlpipe/local_cloud/tls.py
    state_dir = Path(args.state_dir)
    for sub in WORK_DIRS:
        (state_dir / sub).mkdir(parents=True, exist_ok=True)
    minute = float(os.environ.get("MLPIPE_GLUE_MINUTE_SECONDS", "60"))
    jobs = state_dir / JOBS_DIR  # job process groups, for control.reap_jobs
    glue = GlueRuntime(endpoint, state_dir / "glue-runs", minute_seconds=minute, record_dir=jobs)
    emr = EmrRuntime(endpoint, state_dir / "emr-steps", record_dir=jobs)
    sagemaker = SageMakerRuntime(endpoint, state_dir / "transforms")
    for runtime in (glue, emr, sagemaker):
        runtime.install()
    scheduler = Scheduler(
        lambda: endpoint_client("events", endpoint),
        lambda: endpoint_client("stepfunctions", endpoint),
        interval=float(os.environ.get("MLPIPE_SCHEDULER_INTERVAL", "5")),
        minute_seconds=float(os.environ.get("MLPIPE_SCHEDULE_MINUTE_SECONDS", "60")),
    )

    busy = port_free(args.host, args.port)
    if busy:  # werkzeug would fail in its thread and leave us waiting forever
        logging.getLogger("mlpipe.local_cloud").error(
            "port %s on %s is not free: %s", args.port, args.host, busy
        )
        return 2
    listeners.start()
    if glue.warm is not None and os.environ.get(PRESTART_ENV) == "1":
        glue.warm.prestart()  # the first Glue run should not wait for a JVM to start
    scheduler.start()
    stopped = threading.Event()

    def shutdown(signum: int, frame: object) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    logging.getLogger("mlpipe.local_cloud").info(
        "%s %s (patches: %s)", READY_LINE, endpoint, ", ".join(applied)
    )
    stopped.wait()
    scheduler.stop()
    glue.stop_all()
    emr.stop_all()
    listeners.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
