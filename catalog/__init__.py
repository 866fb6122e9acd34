"""Catalog of platform capabilities (an Agora plugin)."""
