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
