import datetime as dt
import re

import pytest

from mlpipe.local_cloud.scheduler import Cron, Rate, ScheduleError, Scheduler, parse_schedule


def at(y, mo, d, h, mi):
    return dt.datetime(y, mo, d, h, mi, tzinfo=dt.UTC)


def test_rate_units_and_due():
    assert parse_schedule("rate(1 minute)") == Rate(60)
    assert parse_schedule("rate(15 minutes)") == Rate(900)
    assert parse_schedule("rate(2 hours)") == Rate(7200)
    r = Rate(60)
    assert not r.due(None, since=1000, now=1059) and r.due(None, since=1000, now=1060)
    assert not r.due(1060, since=1000, now=1100) and r.due(1060, since=1000, now=1120)


def test_lab2_every_15_minutes():
    cron = parse_schedule("cron(0/15 * * * ? *)")
    assert isinstance(cron, Cron)
    assert [m for m in range(60) if cron.matches(at(2023, 8, 1, 10, m))] == [0, 15, 30, 45]


def test_cron_names_ranges_lists_and_day_of_week():
    cron = parse_schedule("cron(30 9-17/4 ? JAN,JUL MON-FRI 2023)")
    assert cron.matches(at(2023, 7, 3, 9, 30))  # a Monday in July
    assert cron.matches(at(2023, 7, 3, 13, 30)) and not cron.matches(at(2023, 7, 3, 11, 30))
    assert not cron.matches(at(2023, 7, 2, 9, 30))  # Sunday
    assert not cron.matches(at(2023, 8, 1, 9, 30)) and not cron.matches(at(2024, 7, 1, 9, 30))


def test_cron_due_once_per_matching_minute():
    cron = parse_schedule("cron(* * * * ? *)")
    now = at(2023, 8, 1, 10, 0).timestamp() + 5
    assert cron.due(None, since=0, now=now)
    assert not cron.due(now, since=0, now=now + 20)  # same minute: fired already
    assert cron.due(now, since=0, now=now + 60)


@pytest.mark.parametrize(
    "expr, message",
    [
        ("every 5 minutes", "not a rate() or cron() expression"),
        ("rate(1 minutes)", "use '1 minute'"),
        ("rate(5 minute)", "use '5 minutes'"),
        ("cron(0 * * * *)", "needs 6 fields"),
        ("cron(0 * * * MON *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 10 L * ? *)", "L, W and # are not supported"),
        ("cron(61 * * * ? *)", "outside 0-59"),
    ],
)
def test_bad_expressions_are_clear(expr, message):
    with pytest.raises(ScheduleError, match=re.escape(message)):
        parse_schedule(expr)


class _Events:
    def __init__(self, rules):
        self.rules = rules

    def get_paginator(self, _name):
        rules = self.rules

        class _Pages:
            def paginate(self):
                return [{"Rules": rules}]

        return _Pages()

    def list_targets_by_rule(self, Rule):
        return {"Targets": [{"Arn": f"arn:aws:states:us-east-1:1:stateMachine:{Rule}"}]}


class _Sfn:
    def __init__(self):
        self.started = []

    def start_execution(self, stateMachineArn, name, input):
        self.started.append(stateMachineArn)
        return {"executionArn": f"{stateMachineArn}:{name}"}


def test_a_scaled_minute_shrinks_rates_not_crons():
    rules = [
        {"Name": "r", "ScheduleExpression": "rate(2 minutes)", "State": "ENABLED"},
        {"Name": "c", "ScheduleExpression": "cron(0/15 * * * ? *)", "State": "ENABLED"},
    ]
    sfn = _Sfn()
    sched = Scheduler(lambda: _Events(rules), lambda: sfn, minute_seconds=3)
    t0 = 1_699_999_200.0 + 60  # a minute after a quarter hour (a cron minute): no cron is due
    assert sched.tick(t0) == []  # first seen
    assert sched.tick(t0 + 5.9) == []  # rate(2 minutes) = 6 s here
    assert len(sched.tick(t0 + 6)) == 1 and sfn.started[-1].endswith(":r")
    assert sched.tick(t0 + 11) == []
    assert len(sched.tick(t0 + 12)) == 1
    # the cron fires on the wall clock's quarter hours only, scale or not
    assert all(arn.endswith(":r") for arn in sfn.started)
