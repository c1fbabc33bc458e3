"""Build step for the optional C kernel (evalkit/_kernels/_fast.c); all metadata lives in pyproject.toml.

The extension is optional: without a C compiler ``pip install`` still succeeds and evalkit computes the same
numbers through sacrebleu (evalkit/metrics/fast.py chooses at run time).
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    """Adds the flags the kernel's exactness needs: no fused multiply-add, no fast-math."""

    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "unix":
            for ext in self.extensions:
                ext.extra_compile_args += ["-O2", "-ffp-contract=off", "-fno-fast-math"]
        elif self.compiler.compiler_type == "msvc":
            for ext in self.extensions:
                ext.extra_compile_args += ["/O2", "/fp:precise"]
        super().build_extensions()


setup(
    ext_modules=[Extension("evalkit._kernels._fast", ["evalkit/_kernels/_fast.c"], optional=True)],
    cmdclass={"build_ext": BuildExt},
)
