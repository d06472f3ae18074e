"""Back office: content (being built)."""
