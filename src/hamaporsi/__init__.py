"""hamaporsi: an end-to-end verifiable referendum (protocol: docs/spec.md)."""

__version__ = "0.1.0"
