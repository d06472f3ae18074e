"""Back office: users (being built)."""
