"""A tiny third-party Agora plugin, used by the tests to prove the public hooks work from outside."""
