"""Feature-request board (an Agora plugin)."""
