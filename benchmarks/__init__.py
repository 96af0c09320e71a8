"""Benchmarks that drive the real server (bin/loadbench); not part of the test suite."""
