"""A tiny Glue job for runtime tests: independent of the churn jobs, so these tests exercise the
local cloud's Glue runtime (staging, publication, stop, driver health) and nothing else."""

from __future__ import annotations

import time
import uuid

from mlpipe.aws import endpoint_client

# Reads --input (counts files), optionally sleeps / uses Spark / fails, and writes
# <--output>/run_date=<d>/result.txt, then exits 1 if asked to fail (after writing).
SCRIPT = """
import argparse, pathlib, sys, time
p = argparse.ArgumentParser()
for name in ("--input", "--output", "--run_date", "--source_uri", "--escape"):
    p.add_argument(name)
p.add_argument("--sleep", type=float, default=0.0)
p.add_argument("--spark", default="no")
p.add_argument("--fail", default="no")
a, _ = p.parse_known_args()
files = sorted(f.name for f in pathlib.Path(a.input).rglob("*") if f.is_file()) if a.input else []
spark_rows = -1
if a.spark == "yes":
    from pyspark.sql import SparkSession
    spark_rows = SparkSession.builder.getOrCreate().range(7).count()
time.sleep(a.sleep)
out = pathlib.Path(a.output) / f"run_date={a.run_date}"
out.mkdir(parents=True, exist_ok=True)
(out / "result.txt").write_text(f"files={','.join(files)} spark_rows={spark_rows} source={a.source_uri}")
if a.escape:
    pathlib.Path(a.escape).write_text("escaped")
if a.fail == "yes":
    print("ERROR: asked to fail", file=sys.stderr)
    sys.exit(1)
"""
TERMINAL = {"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR"}


class TinyJob:
    def __init__(
        self, cloud, tags: dict | None = None, label: str = "tiny"
    ):  # cloud: a running control.LocalCloud
        self.uid = uuid.uuid4().hex[:6]
        self.bucket = f"{label}-{self.uid}"
        self.name = f"{label}-{self.uid}"
        verify = str(cloud.ca_bundle)
        self.s3 = endpoint_client("s3", cloud.endpoint, verify=verify)
        self.glue = endpoint_client("glue", cloud.endpoint, verify=verify)
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.put_object(Bucket=self.bucket, Key="code/job.py", Body=SCRIPT.encode())
        self.glue.create_job(
            Name=self.name,
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{self.bucket}/code/job.py"},
            DefaultArguments={"--output": self.uri("out/")},
            ExecutionProperty={"MaxConcurrentRuns": 5},
            Timeout=10,
            Tags=tags or {},
        )

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def put(self, key: str, body: bytes = b"x") -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def start(self, **args: str) -> str:
        arguments = {f"--{k}": str(v) for k, v in args.items()}
        return self.glue.start_job_run(JobName=self.name, Arguments=arguments)["JobRunId"]

    def state(self, run_id: str) -> dict:
        return self.glue.get_job_run(JobName=self.name, RunId=run_id)["JobRun"]

    def wait(self, run_id: str, timeout: float = 120.0, states=TERMINAL) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            run = self.state(run_id)
            if run["JobRunState"] in states:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {run['JobRunState']} after {timeout}s")
            time.sleep(0.3)

    def keys(self, prefix: str = "") -> dict[str, bytes]:
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = self.s3.get_object(Bucket=self.bucket, Key=obj["Key"])[
                    "Body"
                ].read()
        return out
