"""Packaging beyond what pyproject.toml can say: the tutorial notebooks inside the wheel.

The notebooks live in the repository's ``tutorials/`` folder (where readers and CI find them)
and ship as the resource folder ``singan_keras/tutorials/`` of the wheel, from which
``singan tutorials DIR`` copies them. ``tutorials/`` also holds each notebook's jupytext
source (``.py``); those are notebooks, not modules, so the build copies the ``.ipynb`` files
only (``package-data`` in pyproject.toml) and no module of that folder. A notebook added to
``tutorials/`` ships without any change here. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

NOTEBOOKS = "singan_keras.tutorials"


class BuildPy(build_py):
    """`build_py` that takes no module from the notebooks' folder (its .py are jupytext)."""

    def find_package_modules(self, package, package_dir):
        if package == NOTEBOOKS:
            return []
        return super().find_package_modules(package, package_dir)


setup(
    packages=[*find_packages(include=["singan_keras*"]), NOTEBOOKS],
    package_dir={NOTEBOOKS: "tutorials"},
    # Only the files `package-data` names (include_package_data would add every file of the
    # source distribution that lies in a package folder, and warn about data/images).
    include_package_data=False,
    cmdclass={"build_py": BuildPy},
)
