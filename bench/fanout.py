"""Fan-out benchmark: one release to N subscribers (default 100,000) through the real delivery engine into a
local SMTP sink (aiosmtpd), then a plain `smtplib` loop sending the very same messages to the same sink.

Prints deliveries per second of the engine (publish → fan-out → durable Delivery rows → claims → templated
multipart emails over one SMTP connection per batch → per-delivery "sent" marks) and its ratio to the
plain loop, measured in the same run. Celery runs eagerly (in this process), so the figure is the cost of
the engine's own work per delivery on one core; real workers scale it out.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_ntf_bench .venv/bin/python bench/fanout.py
    .venv/bin/python bench/fanout.py --subscribers 10000        # quicker

Never pass/fail: it reports. The bench database (default agora_ntf_bench) is recreated on each run.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def read_messages(path: Path):
    with path.open("rb") as handle:
        while header := handle.read(4):
            yield handle.read(struct.unpack(">I", header)[0])


def start_sink(port: int, path: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(port), str(path)])
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the SMTP sink did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(url: str) -> None:
    """A fresh database per run (a tenant cannot simply be deleted: row-level security hides its rows)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(("agora_", "bench")):
        raise SystemExit(f"refusing to recreate database {name!r}: use a dedicated bench database")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup(n: int):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from portal.notifications.models import ChannelPreference, Subscription
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Membership, Tenant

    call_command("migrate", verbosity=0)
    User = get_user_model()
    tenant = Tenant.objects.create(slug="bench", name="Bench")
    users = User.objects.bulk_create(
        [User(username=f"bench-{i}", email=f"bench-{i}@example.com", password="!") for i in range(n)],
        batch_size=5000,
    )
    with tenant_context(tenant):
        Membership.objects.bulk_create([Membership(tenant=tenant, user=u) for u in users], batch_size=5000)
        Subscription.objects.bulk_create(
            [Subscription(tenant=tenant, user=u, topic_kind="capability", topic_id=1) for u in users],
            batch_size=5000,
        )
        # Email only, so both sides of the comparison send exactly the same thing.
        ChannelPreference.objects.bulk_create(
            [ChannelPreference(tenant=tenant, user=u, channel="inbox", frequency="off") for u in users],
            batch_size=5000,
        )
    return tenant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    args = parser.parse_args()

    port = free_port()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/agora_ntf_bench")
    os.environ.update({"EMAIL_URL": f"smtp://127.0.0.1:{port}", "CELERY_EAGER": "1", "LOG_LEVEL": "WARNING"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "1")  # a local measurement: dev SECRET_KEY, SET ROLE on trust PostgreSQL
    if os.environ["DATABASE_URL"].startswith("postgres"):
        recreate_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.db import transaction

    from portal.notifications.engine.publish import notification_publish
    from portal.notifications.models import Delivery
    from portal.tenancy.context import tenant_context

    n = args.subscribers
    print(f"setting up {n:,} subscribers ...", flush=True)
    tenant = setup(n)

    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp) / "messages.bin"
        sink = start_sink(port, spool)
        try:
            print("engine: publish → fan-out → send ...", flush=True)
            started = time.perf_counter()
            with tenant_context(tenant), transaction.atomic():
                notification_publish(
                    key=f"bench:{time.time()}",
                    topic_kind="capability",
                    topic_id=1,
                    category="release",
                    title="Kafka 4.0 released",
                    body_markdown="**Breaking**: ZooKeeper mode is gone. See the [upgrade guide](https://example.com).",
                    url="/t/bench/catalog/kafka/",
                    topic_label="Kafka",
                )
            engine_seconds = time.perf_counter() - started
            with tenant_context(tenant):
                sent = Delivery.objects.filter(state="sent").count()
            time.sleep(0.5)  # let the sink flush the last message
            messages = list(read_messages(spool))
            received = len(messages)

            print("baseline: plain smtplib loop over the same messages ...", flush=True)
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                for data in messages:
                    smtp.sendmail("agora@localhost", ["bench@example.com"], data)
            baseline_seconds = time.perf_counter() - started
        finally:
            sink.terminate()
            sink.wait(10)

    engine_rate = sent / engine_seconds
    baseline_rate = received / baseline_seconds
    print()
    print(f"subscribers               {n:>12,}")
    print(f"deliveries sent           {sent:>12,}   (SMTP sink received {received:,})")
    print(f"engine                    {engine_seconds:>12.1f} s   {engine_rate:>10,.0f} deliveries/s")
    print(f"plain smtplib loop        {baseline_seconds:>12.1f} s   {baseline_rate:>10,.0f} messages/s")
    print(f"ratio engine / plain loop {engine_rate / baseline_rate:>12.2f}")


if __name__ == "__main__":
    main()
