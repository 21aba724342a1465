"""The /_sandbox control plane: health, accounts, journal, reset."""
