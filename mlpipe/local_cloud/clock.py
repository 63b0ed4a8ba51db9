"""Timestamps as moto stores them: naive datetimes in UTC."""

from __future__ import annotations

import datetime as dt


def naive_utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
