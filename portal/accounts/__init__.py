"""Accounts: teams inside a tenant, roles, API tokens, login."""
