"""creditline: make generative AI follow the licenses that creators chose."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
