"""The control plane's shared state (clock, connection states, ...), kept in the store so that
every worker, and every replica, sees the same thing."""
