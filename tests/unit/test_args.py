import datetime as dt

import pytest

from churn_transforms.args import parse_run_date, resolve_args
from churn_transforms.errors import InputError


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
