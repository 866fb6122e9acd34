"""Domain events through a transactional outbox: emitted in the service's transaction, dispatched after
commit by Celery, swept periodically so that nothing emitted is ever lost (e.g. Redis was down)."""
