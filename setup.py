"""Build the Cython kernels in src/edi/_fast/; everything else is declared in pyproject.toml."""
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        "edi._fast._pool",
        ["src/edi/_fast/_pool.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    ),
    Extension(
        "edi._fast._tokenizer",
        ["src/edi/_fast/_tokenizer.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    ),
    Extension(
        "edi._fast._loops",
        ["src/edi/_fast/_loops.pyx"],
        extra_compile_args=["-O3"],
    ),
    Extension(
        "edi._fast._remit",
        ["src/edi/_fast/_remit.pyx"],
        extra_compile_args=["-O3"],
    ),
    Extension(
        "edi._fast._claims",
        ["src/edi/_fast/_claims.pyx"],
        extra_compile_args=["-O3"],
    ),
    Extension(
        "edi._fast._validate",
        ["src/edi/_fast/_validate.pyx"],
        extra_compile_args=["-O3"],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        annotate=bool(os.environ.get("EDI_CYTHON_ANNOTATE")),
    ),
)
