"""Integration tests of the reactor, run on both loop backends."""
