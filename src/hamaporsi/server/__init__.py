"""The casting server (issue 3): an ASGI app over the election board. HTTP in, `ElectionBoard` and
protocol checks underneath; only this package maps errors to HTTP."""
