"""`voicetour crawl`: learn a product's pages and controls from the product itself (urls.py →
fetch.py or render.py → extract.py → build.py)."""
