"""bridge's test suite."""
