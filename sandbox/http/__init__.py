"""What every request passes through: credentials, errors, paging, rendering caches, the journal."""
