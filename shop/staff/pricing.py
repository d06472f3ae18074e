"""Back office: pricing (being built)."""
