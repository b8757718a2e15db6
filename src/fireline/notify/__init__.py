"""Notifications: channels, subscriptions, the transactional outbox and its delivery worker.

Layers inside the package (kept by import-linter): `channel_config`, `routing` and `outbox`
are storage-level (the service calls `outbox.enqueue` inside the transaction of every write);
`message`, `render`, `transport` and `worker` are the adapter that delivers, and records each
result back through `service.execute`.
"""
