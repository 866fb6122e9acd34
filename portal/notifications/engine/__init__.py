"""The delivery engine: publish → fan-out → durable deliveries → batched sends, with sweeps and digests.

Guarantees, and where they come from:
- Nothing published is lost: the Notification row commits with the publishing transaction; fan-out is
  queued on commit and the sweep fans out anything older than a grace period that nobody fanned out
  (broker down, worker killed).
- Nobody gets a notification twice from us: deliveries are unique per (notification, recipient, channel);
  a sender must move a row pending → sending with its own claim token first, and marks it sent right after
  the channel accepted it. The only window left is between the receiver accepting and our UPDATE (the
  "SMTP accept race"); a stable Message-ID / X-Agora-Delivery lets receivers drop such a duplicate.
- Requeues are bounded: every claim counts an attempt; after NOTIFY_MAX_ATTEMPTS the delivery fails
  visibly with its last error.
"""
