"""Across releases: a cell's outcome at each release (`compat history`) and the first one
where it flips (`compat bisect`)."""
