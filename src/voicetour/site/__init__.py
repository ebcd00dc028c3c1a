"""The site file: the agent's map of a product (see docs/site-format.md)."""

from voicetour.site.model import Element, Page, Site, load_site, parse_site

__all__ = ["Element", "Page", "Site", "load_site", "parse_site"]
