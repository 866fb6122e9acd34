"""Headless locust run of one phase, as a library, in its own process (gevent patches the whole process).

    python bench/loadgen.py spec.json      # prints one JSON line of results

The spec (written by `bench.common.run_load`): `host`, `name`, `identities` (header dicts: a session cookie
or an API token each), `sequences` (lists of [method, path]), `users`, `warmup` and `seconds`. Each client
loops without think time: a random identity, a random sequence, its requests in order. Statistics are
reset after the warm-up, so the figures cover the measured seconds only.
"""

from __future__ import annotations

import json
import random
import sys
import time

import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment


def main(path: str) -> None:
    with open(path) as handle:
        spec = json.load(handle)
    identities = spec["identities"] or [{}]
    sequences = spec["sequences"]
    name = spec["name"]

    class Client(FastHttpUser):
        host = spec["host"]
        wait_time = constant(0)

        @task
        def iteration(self) -> None:
            headers = random.choice(identities)
            for method, url in random.choice(sequences):
                # No redirects followed: a lost session would otherwise measure the login page.
                with self.client.request(
                    method, url, headers=headers, name=name, allow_redirects=False, catch_response=True
                ) as response:
                    if response.status_code >= 300:
                        response.failure(f"HTTP {response.status_code}")

    env = Environment(user_classes=[Client])
    runner = env.create_local_runner()
    runner.start(spec["users"], spawn_rate=max(1, spec["users"]) * 20)
    gevent.sleep(spec["warmup"])
    env.stats.reset_all()
    started = time.perf_counter()
    gevent.sleep(spec["seconds"])
    elapsed = time.perf_counter() - started
    entry = env.stats.total
    errors = [f"{e.method} {e.name}: {e.error} x{e.occurrences}" for e in env.stats.errors.values()]
    result = {
        "name": name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.num_requests / elapsed if elapsed else 0.0,
        "median_ms": entry.median_response_time or 0.0,
        "p95_ms": entry.get_response_time_percentile(0.95) or 0.0,
        "errors": errors,
    }
    runner.quit()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
