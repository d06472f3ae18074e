"""Back office: csv io (being built)."""
