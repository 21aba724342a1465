"""ats-sandbox: a server that answers like the unified ATS APIs' interview endpoints."""

__version__ = "0.1.0"
