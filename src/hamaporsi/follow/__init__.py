"""Following a board over HTTP: a verified local copy (mirrors) and cosigning (witnesses)."""
