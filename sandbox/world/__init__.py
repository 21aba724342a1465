"""The vendor-neutral fake ATS. Nothing here imports from `sandbox.vendors` or `sandbox.http`."""
