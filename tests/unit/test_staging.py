"""S3 staging for local job runs: confinement, run-date slices, push only what changed."""

from __future__ import annotations

import os
import shutil

import boto3
import pytest
from moto import mock_aws

from mlpipe.local_cloud.staging import (
    ConfinementError,
    S3Mirror,
    list_run_date_slice,
    valid_run_date,
)

pytestmark = pytest.mark.timeout(60)
BUCKET = "data-bucket"


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3, key: str, body: bytes = b"x") -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def keys(s3) -> dict[str, bytes]:
    return {
        o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    }


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "a/../../../x", "/etc/passwd", "a/\0b", "run_date=../../../../tmp/x/"],
)
def test_keys_that_leave_the_root_fail(s3, tmp_path, bad):
    mirror = S3Mirror(s3, tmp_path / "m")
    with pytest.raises(ConfinementError):
        mirror.local(BUCKET, bad)


@pytest.mark.parametrize("bucket", ["..", "a/b", "", "../etc"])
def test_bad_bucket_names_fail(s3, tmp_path, bucket):
    with pytest.raises(ConfinementError):
        S3Mirror(s3, tmp_path / "m").local(bucket, "k")


def test_an_object_key_with_dot_dot_in_s3_fails_the_pull_and_writes_nothing_outside(s3, tmp_path):
    put(s3, "raw/churn/run_date=2023-08-01/../../../../../escaped.csv", b"evil")
    root = tmp_path / "work" / "m"
    with pytest.raises(ConfinementError):
        S3Mirror(s3, root).pull(f"s3://{BUCKET}/raw/churn/run_date=2023-08-01/")
    written = [os.path.join(d, f) for d, _, fs in os.walk(tmp_path) for f in fs]
    assert written == []


def test_push_refuses_a_symlink_the_job_left(s3, tmp_path):
    put(s3, "curated/churn/run_date=2023-08-01/part-0.parquet", b"old")
    mirror = S3Mirror(s3, tmp_path / "m")
    local = mirror.pull(f"s3://{BUCKET}/curated/churn/", run_date="2023-08-01")
    secret = tmp_path / "host-secret.txt"
    secret.write_text("do not upload")
    os.symlink(secret, os.path.join(local, "run_date=2023-08-01", "leak.txt"))
    with pytest.raises(ConfinementError):
        mirror.push()
    assert keys(s3) == {"curated/churn/run_date=2023-08-01/part-0.parquet": b"old"}


def test_run_date_slice_stages_only_that_date_at_any_depth(s3):
    for day in ("2023-07-30", "2023-07-31", "2023-08-01"):
        put(s3, f"curated/churn/run_date={day}/part-0.parquet")
        put(s3, f"features/churn/by_country/run_date={day}/part-0.parquet")
    put(s3, "curated/churn/_tmp/abc/part-0.parquet")
    put(s3, "curated/churn/_latest.json")
    assert sorted(list_run_date_slice(s3, BUCKET, "curated/churn/", "2023-08-01")) == [
        "curated/churn/_latest.json",
        "curated/churn/run_date=2023-08-01/part-0.parquet",
    ]
    assert sorted(list_run_date_slice(s3, BUCKET, "features/churn/", "2023-07-31")) == [
        "features/churn/by_country/run_date=2023-07-31/part-0.parquet"
    ]


def test_staging_cost_is_flat_as_history_grows(s3, tmp_path):
    """The objects staged for one run do not grow with the number of past run dates."""
    staged = []
    for days in (1, 30):
        for d in range(days):
            put(s3, f"curated/churn/run_date=2023-06-{d + 1:02d}/part-0.parquet")
        mirror = S3Mirror(s3, tmp_path / f"m{days}")
        mirror.pull(f"s3://{BUCKET}/curated/churn/", run_date="2023-06-01")
        staged.append(sum(len(v) for v in mirror.staged_keys().values()))
    assert staged == [1, 1]


def test_push_leaves_unstaged_history_alone_and_replaces_the_partition(s3, tmp_path):
    put(s3, "curated/churn/run_date=2023-07-31/part-0.parquet", b"yesterday")
    put(s3, "curated/churn/run_date=2023-08-01/part-0.parquet", b"old")
    put(s3, "curated/churn/run_date=2023-08-01/part-1.parquet", b"old")
    mirror = S3Mirror(s3, tmp_path / "m")
    local = mirror.pull(f"s3://{BUCKET}/curated/churn/", run_date="2023-08-01")
    part = os.path.join(local, "run_date=2023-08-01")
    os.remove(os.path.join(part, "part-1.parquet"))
    with open(os.path.join(part, "part-0.parquet"), "wb") as fh:
        fh.write(b"new")
    with open(os.path.join(part, ".part-0.parquet.crc"), "wb") as fh:
        fh.write(b"crc")
    assert mirror.push() == {"uploaded": 1, "deleted": 1}
    assert keys(s3) == {
        "curated/churn/run_date=2023-07-31/part-0.parquet": b"yesterday",
        "curated/churn/run_date=2023-08-01/part-0.parquet": b"new",
    }


class Recording:
    """The S3 client, recording what is uploaded (in order) and failing GETs of ``fail``."""

    def __init__(self, s3, fail: str | None = None):
        self.s3, self.fail, self.uploaded = s3, fail, []

    def __getattr__(self, name):
        return getattr(self.s3, name)

    def upload_file(self, path, bucket, key):
        self.uploaded.append(key)
        return self.s3.upload_file(path, bucket, key)

    def get_object(self, **kwargs):
        if kwargs["Key"] == self.fail:
            raise OSError("connection reset")
        return self.s3.get_object(**kwargs)


def test_push_sends_the_data_before_the_manifest_and_success_last(s3, tmp_path):
    """A reader that sees the new manifest finds every part it names (the commit point is the
    manifest, then _SUCCESS), across prefixes too; the older run is deleted after both."""
    put(s3, "curated/churn/run_date=2023-08-01/run_id=old/part-0.parquet", b"old")
    put(s3, "curated/churn/run_date=2023-08-01/_manifest.json", b"old")
    client = Recording(s3)
    mirror = S3Mirror(client, tmp_path / "m")
    curated = mirror.pull(f"s3://{BUCKET}/curated/churn/", run_date="2023-08-01")
    quarantine = mirror.pull(f"s3://{BUCKET}/quarantine/churn/", run_date="2023-08-01")
    day = os.path.join(curated, "run_date=2023-08-01")
    for path, body in [
        (os.path.join(day, "_manifest.json"), b"new"),
        (os.path.join(day, "_SUCCESS"), b""),
        *[(os.path.join(day, "run_id=new", f"part-{i}.parquet"), b"p") for i in range(12)],
        (os.path.join(quarantine, "run_date=2023-08-01", "run_id=new", "part-0.parquet"), b"q"),
    ]:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(body)
    shutil.rmtree(os.path.join(day, "run_id=old"))
    assert mirror.push() == {"uploaded": 15, "deleted": 1}
    names = [k.rsplit("/", 1)[-1] for k in client.uploaded]
    assert names[-2:] == ["_manifest.json", "_SUCCESS"]
    assert sorted(names[:-2]) == sorted(
        ["part-0.parquet"] * 2 + [f"part-{i}.parquet" for i in range(1, 12)]
    )
    assert "curated/churn/run_date=2023-08-01/run_id=old/part-0.parquet" not in keys(s3)


def test_a_failed_download_fails_the_pull(s3, tmp_path):
    for i in range(5):
        put(s3, f"curated/churn/run_date=2023-08-01/part-{i}.parquet")
    client = Recording(s3, fail="curated/churn/run_date=2023-08-01/part-3.parquet")
    with pytest.raises(OSError, match="connection reset"):
        S3Mirror(client, tmp_path / "m").pull(
            f"s3://{BUCKET}/curated/churn/", run_date="2023-08-01"
        )


def test_a_prefix_naming_a_run_date_is_staged_whole(s3, tmp_path):
    put(s3, "raw/churn/run_date=2023-08-01/run_id=a/in.csv", b"a")
    put(s3, "raw/churn/run_date=2023-08-01/run_id=b/in.csv", b"b")
    mirror = S3Mirror(s3, tmp_path / "m")
    mirror.pull(f"s3://{BUCKET}/raw/churn/run_date=2023-08-01/run_id=b/", run_date="2023-08-01")
    assert mirror.staged_keys() == {
        (BUCKET, "raw/churn/run_date=2023-08-01/run_id=b/"): [
            "raw/churn/run_date=2023-08-01/run_id=b/in.csv"
        ]
    }


@pytest.mark.parametrize(
    "value", ["2023-02-30", "../../etc", "2023-8-1", "20230801", "", "2023-08-01/../x"]
)
def test_invalid_run_dates(value):
    with pytest.raises(ValueError, match="run date must be a real date"):
        valid_run_date(value)


def test_valid_run_date():
    assert valid_run_date("2024-02-29") == "2024-02-29"
