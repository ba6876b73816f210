"""Rule packs compiled to SQL and run on DuckDB over many records at once (the bulk engine)."""
