"""The catalog of licensed works and their fingerprints, behind one interface (``base.Catalog``)."""

from creditline.store.base import CHANNELS, Catalog, CatalogWriter, FingerprintParams, open_catalog
from creditline.store.memory import MemoryCatalog
from creditline.store.sqlite import SqliteCatalog

__all__ = ["CHANNELS", "Catalog", "CatalogWriter", "FingerprintParams", "MemoryCatalog", "SqliteCatalog",
           "open_catalog"]
