"""cleanup.apply: running work is stopped and waited for before anything is deleted."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mlpipe import cleanup
from mlpipe.cleanup.model import gone

pytestmark = pytest.mark.timeout(30)


def test_stops_then_waits_then_deletes_in_order():
    log: list[str] = []
    polls = iter([False, False, True])

    def settled():
        done = next(polls)
        log.append(f"poll {done}")
        return done

    run = cleanup.Resource(
        "glue job run", "job/jr_1", delete=lambda: log.append("stop run"), settled=settled
    )
    job = cleanup.Resource("glue job", "job", delete=lambda: log.append("delete job"))
    role = cleanup.Resource("iam role", "role", delete=lambda: log.append("delete role"))
    report = cleanup.apply([role, job, run], poll=0.01)
    assert log == ["stop run", "poll False", "poll False", "poll True", "delete job", "delete role"]
    assert report.ok and [r.name for r in report.deleted] == ["job/jr_1", "job", "role"]


def test_work_that_does_not_stop_in_time_is_a_failure_and_the_rest_still_goes():
    run = cleanup.Resource("emr cluster", "c-1", delete=lambda: None, settled=lambda: False)
    deleted = []
    job = cleanup.Resource("glue job", "job", delete=lambda: deleted.append("job"))
    report = cleanup.apply([run, job], stop_timeout=0.05, poll=0.01)
    assert not report.ok
    assert [(r.name, msg) for r, msg in report.failed] == [
        ("c-1", "still running 0s after the stop request")
    ]
    assert deleted == ["job"]


def test_a_failed_stop_is_reported_on_one_line():
    def refuse():
        raise ClientError(
            {"Error": {"Code": "InternalFailure", "Message": "<html>\n<body>500</body>\n</html>"}},
            "BatchStopJobRun",
        )

    run = cleanup.Resource("glue job run", "j/jr", delete=refuse, settled=lambda: True)
    report = cleanup.apply([run])
    assert [(r.name, msg) for r, msg in report.failed] == [("j/jr", "<html>")]


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("EntityNotFoundException", "", True),
        ("ValidationException", "Could not find transform job", True),
        ("ValidationException", "cluster is protected", False),
        ("AccessDenied", "", False),
    ],
)
def test_gone(code, message, expected):
    assert gone(ClientError({"Error": {"Code": code, "Message": message}}, "X")) is expected
