"""Back office: catalog (being built)."""
