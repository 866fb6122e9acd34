"""Security primitives of the core that features build on (the guarded outbound client, ...)."""
