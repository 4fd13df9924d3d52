"""Simulated elections: a complete, valid record of many voters made with the real protocol
code, streamed to disk, for scale tests and benchmarks (issue 5). Nothing here is used by a
real election."""
