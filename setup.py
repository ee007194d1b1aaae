"""Build the Cython kernels in src/edi/_fast/; everything else is declared in pyproject.toml."""
import os
import sysconfig

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup


def gcc(*flags: str) -> list[str]:
    """`flags` when the C compiler is GCC (they are GCC's own), else none."""
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "").split()
    return list(flags) if compiler and "gcc" in os.path.basename(compiler[0]) else []


def kernel(name: str, uses_numpy_c_api: bool = False, flags: tuple[str, ...] = ()) -> Extension:
    """The extension edi._fast.<name>, built from src/edi/_fast/<name>.pyx."""
    numpy_options = dict(include_dirs=[numpy.get_include()],
                         define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
    return Extension(f"edi._fast.{name}", [f"src/edi/_fast/{name}.pyx"], extra_compile_args=["-O3", *flags],
                     **(numpy_options if uses_numpy_c_api else {}))


extensions = [
    kernel("_pool", uses_numpy_c_api=True),
    kernel("_workers"),
    kernel("_tokenizer", uses_numpy_c_api=True),
    kernel("_envelope"),
    kernel("_loops"),
    # The 835 walk is one large function: GCC's default growth limit for it (100%) leaves the
    # amount parser a call at each of its nine uses; inlined, the walk takes 10% less time.
    kernel("_remit", uses_numpy_c_api=True, flags=tuple(gcc("--param=large-function-growth=400"))),
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
