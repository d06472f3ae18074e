"""Back office: orders (being built)."""
