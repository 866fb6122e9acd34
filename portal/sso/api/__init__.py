"""The SSO API: /api/v1/sso/ (tenant admins)."""
