"""The invoke namespace: one module per collection."""

from invoke import Collection

from mlpipe.tasks import asl, bench, build, data, deploy, jobs, local, ops, run, tf

namespace = Collection()
namespace.add_task(build.package)
namespace.add_task(build.model)
namespace.add_task(bench.bench)
namespace.add_task(deploy.deploy)
namespace.add_task(deploy.destroy)
namespace.add_task(run.run)
for name in ("cleanup", "status", "logs", "graph"):
    namespace.add_task(getattr(ops, name))
namespace.add_collection(Collection.from_module(data))
namespace.add_collection(Collection.from_module(jobs))
namespace.add_collection(Collection.from_module(asl))
namespace.add_collection(Collection.from_module(local))
namespace.add_collection(Collection.from_module(tf))
