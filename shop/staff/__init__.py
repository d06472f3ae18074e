"""The staff back office under /staff/: every route needs the staff or admin role."""
