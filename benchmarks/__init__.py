"""Performance benchmark of order-assistant against the mock portal (see benchmarks/README.md)."""
