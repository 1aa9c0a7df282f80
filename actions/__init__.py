"""Domain code: one package per domain. Packages here may import ``engine``; never the reverse."""
