"""The one compiled part of creditline: the license tokenizer's inner loop
(src/creditline/core/_ctokens.c). The rest of the build is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and creditline runs
the numpy version of the same loop (slower; ``creditline --version`` says which is in use)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("creditline.core._ctokens", ["src/creditline/core/_ctokens.c"], optional=True,
                             extra_compile_args=["-O3"])])
