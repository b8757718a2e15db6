"""`fireline serve`: the HTTP API, a thin adapter over `service.execute` and the read service.

Routes parse, build a command (or a read), call the one write path or the one read path, and
render JSON. Every error leaves as one RFC 9457 problem body (`api.problems`); every route but
health, readiness, metrics and login authenticates (`api.auth`).
"""
