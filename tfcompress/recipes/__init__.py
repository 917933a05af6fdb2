"""Built-in recipe templates (TOML)."""
