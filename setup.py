"""Build the Cython kernels in src/edi/_fast/; everything else is declared in pyproject.toml."""
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup


def kernel(name: str, uses_numpy_c_api: bool = False) -> Extension:
    """The extension edi._fast.<name>, built from src/edi/_fast/<name>.pyx."""
    numpy_options = dict(include_dirs=[numpy.get_include()],
                         define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
    return Extension(f"edi._fast.{name}", [f"src/edi/_fast/{name}.pyx"], extra_compile_args=["-O3"],
                     **(numpy_options if uses_numpy_c_api else {}))


extensions = [
    kernel("_pool", uses_numpy_c_api=True),
    kernel("_workers"),
    kernel("_tokenizer", uses_numpy_c_api=True),
    kernel("_envelope"),
    kernel("_loops"),
    kernel("_remit", uses_numpy_c_api=True),
    kernel("_claims"),
    kernel("_validate"),
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        annotate=bool(os.environ.get("EDI_CYTHON_ANNOTATE")),
    ),
)
