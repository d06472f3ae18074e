"""Back office: audit views (being built)."""
