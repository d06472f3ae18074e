"""Back office: products with their variants and images, and their CSV export/import."""
