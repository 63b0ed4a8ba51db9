import datetime as dt

import pytest

from churn_transforms.args import GLUE_RESERVED, parse_run_date, resolve_args
from churn_transforms.errors import InputError
from churn_transforms.jobs import (
    CLEAN_OPTIONAL,
    CLEAN_REQUIRED,
    FEATURES_OPTIONAL,
    FEATURES_REQUIRED,
)

# What Glue passes a job run: the job's arguments plus its own (JOB_ID, JOB_RUN_ID, ...).
GLUE_ARGV = [
    "script.py",
    "--JOB_ID",
    "j_1",
    "--JOB_RUN_ID",
    "jr_abc",
    "--JOB_NAME",
    "mlpipe-dev-clean",
    "--job-bookmark-option",
    "job-bookmark-disable",
    "--TempDir",
    "s3://t/",
    "--input",
    "s3://b/in.csv",
    "--output",
    "s3://b/clean/",
    "--quarantine",
    "s3://b/q/",
    "--clean",
    "s3://b/clean/",
    "--features",
    "s3://b/f/",
    "--run_date",
    "2023-08-01",
]


@pytest.fixture
def glue_utils(monkeypatch):
    """``awsglue.utils`` as Glue has it, for what matters here: getResolvedOptions registers
    Glue's own arguments itself, refuses a job that asks for one by name, and requires the
    rest (awslabs/aws-glue-libs, awsglue/utils.py)."""
    import argparse
    import sys
    import types

    asked: list[list[str]] = []

    def get_resolved_options(args, options):
        asked.append(list(options))
        parser = argparse.ArgumentParser()
        for name in GLUE_RESERVED:
            if name in options:
                raise RuntimeError(f"Using reserved arguments --{name}")
            parser.add_argument(f"--{name}", required=False)
        for name in options:
            parser.add_argument(f"--{name}", required=True)
        return vars(parser.parse_known_args(args[1:])[0])

    utils = types.ModuleType("awsglue.utils")
    utils.getResolvedOptions = get_resolved_options
    monkeypatch.setitem(sys.modules, "awsglue", types.ModuleType("awsglue"))
    monkeypatch.setitem(sys.modules, "awsglue.utils", utils)
    return asked


@pytest.mark.parametrize(
    ("required", "optional"),
    [(CLEAN_REQUIRED, CLEAN_OPTIONAL), (FEATURES_REQUIRED, FEATURES_OPTIONAL)],
    ids=["clean_customers", "build_features"],
)
def test_on_glue_the_jobs_never_ask_for_glues_own_arguments(glue_utils, required, optional):
    args = resolve_args(GLUE_ARGV, required, optional)
    assert args["JOB_RUN_ID"] == "jr_abc" and args["run_date"] == "2023-08-01"
    assert glue_utils and not set(glue_utils[0]) & set(GLUE_RESERVED)


@pytest.mark.parametrize(
    ("required", "optional"),
    [(CLEAN_REQUIRED, CLEAN_OPTIONAL), (FEATURES_REQUIRED, FEATURES_OPTIONAL)],
    ids=["clean_customers", "build_features"],
)
def test_the_local_parser_resolves_glues_arguments_as_glue_does(required, optional):
    args = resolve_args(GLUE_ARGV, required, optional)
    assert args["JOB_RUN_ID"] == "jr_abc" and "JOB_ID" not in args
    with pytest.raises(RuntimeError, match="Using reserved arguments --JOB_RUN_ID"):
        resolve_args(GLUE_ARGV, ["input", "JOB_RUN_ID"])


def test_glue_style_pairs_and_ignored_extras():
    argv = [
        "job.py",
        "--JOB_ID",
        "j_1",
        "--input",
        "s3://b/in.csv",
        "--run_date=2023-08-01",
        "--TempDir",
        "s3://t/",
    ]
    assert resolve_args(argv, ["input", "run_date"]) == {
        "input": "s3://b/in.csv",
        "run_date": "2023-08-01",
    }


def test_optional_arguments_resolved_only_when_present():
    argv = ["job.py", "--input", "a"]
    assert resolve_args(argv, ["input"], {"date_formats": ""}) == {"input": "a", "date_formats": ""}
    argv += ["--date_formats", "dd.MM.yyyy"]
    assert resolve_args(argv, ["input"], {"date_formats": ""})["date_formats"] == "dd.MM.yyyy"


def test_missing_required_argument_is_one_line():
    with pytest.raises(InputError, match=r"^missing job argument\(s\): --output, --run_date$"):
        resolve_args(["job.py", "--input", "a"], ["input", "output", "run_date"])


def test_run_date():
    assert parse_run_date("2023-08-01") == dt.date(2023, 8, 1)
    with pytest.raises(InputError):
        parse_run_date("2023-13-01")


@pytest.mark.parametrize(
    "value, message",
    [
        ("20230801", "must be YYYY-MM-DD"),  # fromisoformat alone accepts these three
        ("2023-W31-2", "must be YYYY-MM-DD"),
        ("2023-08-01T00:00", "must be YYYY-MM-DD"),
        ("../../etc", "must be YYYY-MM-DD"),
        ("2023-08-01\n", "must be YYYY-MM-DD"),
        ("", "must be YYYY-MM-DD"),
        ("2023-02-29", "is not a real date"),
        ("2023-13-01", "is not a real date"),
    ],
)
def test_run_date_is_strict(value, message):
    with pytest.raises(InputError, match=message):
        parse_run_date(value)


def test_run_date_error_is_one_short_line():
    with pytest.raises(InputError) as err:
        parse_run_date("x" * 5000)
    assert "\n" not in str(err.value) and len(str(err.value)) < 100
    assert parse_run_date("2024-02-29") == dt.date(2024, 2, 29)
