"""Tenancy: tenants, memberships, the tenant-owned base model and row-level security on PostgreSQL."""
