"""The shared checking kit: what every notebook's hidden checks are built from (kernel side)."""
