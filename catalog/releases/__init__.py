"""Releases, status updates and Atom feeds of the catalog (issue 5, points 1, 2, 5 and their API).

A subpackage of the `catalog` app: its models are imported by `catalog.models`, so they belong to the catalog
app label and its migrations.
"""
