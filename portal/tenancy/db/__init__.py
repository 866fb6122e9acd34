"""PostgreSQL backend that enforces the tenant context through row-level security.

Use it as ENGINE `portal.tenancy.db` (settings do this for any postgres DATABASE_URL).
"""
