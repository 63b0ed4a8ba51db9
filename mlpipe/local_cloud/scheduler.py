"""EventBridge schedules for the local cloud (moto stores rules but never fires them).

A thread checks the ENABLED rules with a ``rate()`` or ``cron()`` ScheduleExpression every few
seconds and starts an execution for each Step Functions target that is due. ``fire()`` is also
what ``invoke local.tick RULE`` calls to fire one now.

Supported cron syntax (EventBridge's six fields: minutes hours day-of-month month day-of-week
year): ``*``, ``?``, numbers, ``a-b``, ``a/b``, ``*/b``, lists, and JAN-DEC / SUN-SAT names
(day-of-week 1 = Sunday). ``L``, ``W`` and ``#`` are rejected with a clear error.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger("mlpipe.local_cloud.scheduler")
RATE_RE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON_RE = re.compile(r"^cron\((.+)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}
DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
CRON_FIELDS = [
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 1, 7, DAYS),
    ("year", 1970, 2199, {}),
]


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    seconds: int

    def due(self, last: float | None, since: float, now: float) -> bool:
        return now - (last if last is not None else since) >= self.seconds


@dataclass(frozen=True)
class Cron:
    fields: tuple[frozenset[int] | None, ...]  # None = any

    def matches(self, moment: dt.datetime) -> bool:
        dow = (moment.isoweekday() % 7) + 1  # Sunday = 1
        values = (moment.minute, moment.hour, moment.day, moment.month, dow, moment.year)
        return all(
            allowed is None or v in allowed for allowed, v in zip(self.fields, values, strict=True)
        )

    def due(self, last: float | None, since: float, now: float) -> bool:
        minute = dt.datetime.fromtimestamp(now, dt.UTC).replace(second=0, microsecond=0)
        start = minute.timestamp()
        return self.matches(minute) and (last is None or last < start) and since <= now


def _field(spec: str, low: int, high: int, names: dict[str, int]) -> frozenset[int] | None:
    if spec in ("*", "?"):
        return None
    allowed: set[int] = set()
    for part in spec.split(","):
        base, _, step = part.partition("/")
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(base, names)
            end = high if step else start
        stride = int(step) if step else 1
        if not (low <= start <= high and low <= end <= high) or stride < 1:
            raise ScheduleError(f"cron field {part!r} is outside {low}-{high}")
        allowed.update(range(start, end + 1, stride))
    return frozenset(allowed)


def _value(token: str, names: dict[str, int]) -> int:
    token = token.upper()
    if token in names:
        return names[token]
    if not token.isdigit():
        if any(ch in token for ch in "LW#"):
            raise ScheduleError(
                f"cron value {token!r}: L, W and # are not supported by the local cloud"
            )
        raise ScheduleError(f"bad cron value {token!r}")
    return int(token)


def parse_schedule(expression: str) -> Rate | Cron:
    expression = expression.strip()
    if m := RATE_RE.match(expression):
        n, unit = int(m.group(1)), m.group(2).rstrip("s")
        if n < 1:
            raise ScheduleError(f"rate must be at least 1: {expression}")
        if (n == 1) != (not m.group(2).endswith("s")):
            raise ScheduleError(f"use '{n} {unit}{'' if n == 1 else 's'}' in {expression}")
        return Rate(n * UNIT_SECONDS[unit])
    if m := CRON_RE.match(expression):
        parts = m.group(1).split()
        if len(parts) != 6:
            raise ScheduleError(
                f"cron() needs 6 fields (minutes hours day-of-month month day-of-week year): {expression}"
            )
        if (parts[2] == "?") == (parts[4] == "?"):
            raise ScheduleError(
                f"exactly one of day-of-month and day-of-week must be '?': {expression}"
            )
        return Cron(
            tuple(
                _field(p, lo, hi, names)
                for p, (_, lo, hi, names) in zip(parts, CRON_FIELDS, strict=True)
            )
        )
    raise ScheduleError(f"not a rate() or cron() expression: {expression!r}")


def fire(events: Any, sfn: Any, rule_name: str) -> list[str]:
    """Start one execution per Step Functions target of ``rule_name``; returns execution ARNs."""
    started = []
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
    for target in events.list_targets_by_rule(Rule=rule_name)["Targets"]:
        if ":states:" not in target["Arn"] or ":stateMachine:" not in target["Arn"]:
            LOG.info("rule %s: target %s is not a state machine, skipped", rule_name, target["Arn"])
            continue
        name = f"{rule_name[:50]}-{stamp}"[:80]
        started.append(
            sfn.start_execution(
                stateMachineArn=target["Arn"], name=name, input=target.get("Input", "{}")
            )["executionArn"]
        )
    return started


class Scheduler:
    def __init__(
        self,
        events_factory: Callable[[], Any],
        sfn_factory: Callable[[], Any],
        interval: float = 5.0,
        minute_seconds: float = 60.0,
    ) -> None:
        self.events_factory, self.sfn_factory = events_factory, sfn_factory
        # one client each, made on first use and kept: making a boto3 client costs ~0.1 s of
        # CPU, too much for every tick (only the scheduler thread uses them)
        self._clients: dict[str, Any] = {}
        self.interval = interval
        # rate() counts a minute as this many seconds (tests shrink it, as they shrink Glue's
        # minute); cron() follows the wall clock
        self.minute_seconds = minute_seconds
        self.first_seen: dict[str, float] = {}
        self.last_fired: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def tick(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        events, started = self._client("events", self.events_factory), []
        rules = [r for page in events.get_paginator("list_rules").paginate() for r in page["Rules"]]
        for rule in rules:
            expr = rule.get("ScheduleExpression")
            if not expr or rule.get("State") != "ENABLED":
                continue
            name = rule["Name"]
            since = self.first_seen.setdefault(name, now)
            try:
                schedule = parse_schedule(expr)
            except ScheduleError as exc:
                LOG.warning("rule %s: %s", name, exc)
                continue
            if isinstance(schedule, Rate):
                schedule = Rate(max(1, round(schedule.seconds * self.minute_seconds / 60)))
            if schedule.due(self.last_fired.get(name), since, now):
                self.last_fired[name] = now
                started += fire(events, self._client("sfn", self.sfn_factory), name)
        return started

    def _client(self, key: str, factory: Callable[[], Any]) -> Any:
        if key not in self._clients:
            self._clients[key] = factory()
        return self._clients[key]

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:
                LOG.exception("scheduler tick failed")
