"""How long ``cleanup.plan`` takes on a local cloud holding one seeded env, in total and per
finder (each finder on its own, sequentially).

    python -m benchmarks.cleanup_plan
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from pathlib import Path


def main() -> None:
    from mlpipe.local_cloud.control import LocalCloud

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = Path(tempfile.mkdtemp())
    cloud = LocalCloud(state, port=port, env={"MLPIPE_WARM_SPARK": "0"})
    cloud.start()
    os.environ["INVOKE_MLPIPE_LOCAL_STATE_DIR"] = str(state)
    try:
        from mlpipe import cleanup
        from mlpipe.cleanup.model import Scope
        from mlpipe.config import load_settings
        from tests.integration.test_cleanup import seed_env

        settings = load_settings(env="cl" + uuid.uuid4().hex[:6])
        seed_env(settings)
        for _ in range(2):
            began = time.time()
            found = cleanup.plan(settings)
            print(f"plan: {len(found)} resources in {time.time() - began:.2f} s")
        scope = Scope(settings)
        for finder in cleanup.FINDERS:
            began = time.time()
            count = len(list(finder(scope)))
            print(f"  {finder.__name__}: {count} in {time.time() - began:.2f} s")
    finally:
        cloud.stop()


if __name__ == "__main__":
    main()
