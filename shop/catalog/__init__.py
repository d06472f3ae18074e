"""The catalogue: categories, products, their variants and images, and search."""
