"""The one compiled part of creditline: its inner loops in C (src/creditline/core/_ctokens.c).
The rest of the build is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and creditline runs
the numpy and Python counterparts of the same loops (slower; ``creditline --version`` says which
is in use). The source's SHA-256 is compiled in, so a test notices a module left from an older
source (a failed rebuild keeps the old one)."""

import hashlib
from pathlib import Path

from setuptools import Extension, setup

SOURCE = "src/creditline/core/_ctokens.c"
HEADERS = ["src/creditline/core/vendor/xxhash.h"]  # xxHash, included inline (see vendor/README.md)
DIGEST = hashlib.sha256((Path(__file__).parent / SOURCE).read_bytes()).hexdigest()

setup(ext_modules=[Extension("creditline.core._ctokens", [SOURCE], depends=HEADERS, optional=True,
                             extra_compile_args=["-O3"],
                             define_macros=[("SOURCE_SHA256", f'"{DIGEST}"')])])
