"""Studio's Celery worker, run by the test one message at a time, with the test's clock.

A real worker takes a message off the queue and runs it through Celery's tracer
(``celery.app.trace.trace_task``, what ``celery worker`` calls for each message): that is what
``StepWorker.run`` does, on Kombu's in-memory broker. A task's ``self.retry(countdown=...)``
therefore takes Celery's real path: a new message published with an ETA. Instead of waiting
for that ETA, the worker moves the test's clock to it, so a day of retries runs in
milliseconds and the code under test reads the same clock (``tasks.clock``)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from celery.app.trace import trace_task


class FakeClock:
    """Wall-clock seconds that move only when the test (or the worker) moves them."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


class StepWorker:
    def __init__(self, app: Any, queue: str, clock: FakeClock) -> None:
        self.app = app
        self.queue = queue
        self.clock = clock
        self.pending: list[tuple[float, int, Any]] = []  # (due on the clock, order, message)
        self.ran: list[tuple[str, int, float]] = []  # (task name, retries, clock) per run
        self._order = 0

    def collect(self) -> int:
        """Take every message off the queue; return how many."""
        taken = 0
        with self.app.connection_for_read() as connection:
            channel = connection.default_channel
            while True:
                message = channel.basic_get(self.queue, no_ack=True)
                if message is None:
                    return taken
                eta = message.headers.get("eta")
                wait = 0.0
                if eta:
                    due = datetime.fromisoformat(eta)
                    if due.tzinfo is None:
                        due = due.replace(tzinfo=timezone.utc)
                    wait = (due - datetime.now(timezone.utc)).total_seconds()
                self._order += 1
                self.pending.append((self.clock() + max(wait, 0.0), self._order, message))
                taken += 1

    def next_due(self) -> float | None:
        """When the next message is due on the clock (None when the queue is empty)."""
        self.collect()
        return min((due for due, _, _ in self.pending), default=None)

    def step(self) -> bool:
        """Run the next message due (moving the clock to its ETA); False when none is left."""
        self.collect()
        if not self.pending:
            return False
        self.pending.sort(key=lambda item: (item[0], item[1]))
        due, _, message = self.pending.pop(0)
        self.clock.advance(due - self.clock())
        headers = message.headers
        args, kwargs, _embed = message.decode()
        task = self.app.tasks[headers["task"]]
        request = {
            **headers,
            "delivery_info": {"routing_key": self.queue, "exchange": ""},
            "is_eager": False,
            "hostname": "step-worker",
        }
        self.ran.append((headers["task"], int(headers.get("retries", 0)), self.clock()))
        trace_task(task, headers["id"], args, kwargs, request, app=self.app)
        return True

    def run(self, limit: int = 500) -> int:
        """Run until the queue is empty; return how many messages ran."""
        count = 0
        while count < limit and self.step():
            count += 1
        assert count < limit, "the queue never emptied"
        return count
