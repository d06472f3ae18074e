"""Editorial content: conditions, articles and doctors, and article rendering."""
