"""L6: the notifier's SQL (asyncpg) and its outbound HTTP; plain values in and out."""
