"""Intent: from words to ranked targets (pages and elements of the site)."""
