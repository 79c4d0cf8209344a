"""Packaging metadata: the SPDX license string, and a `py.typed` that tells the truth."""

import inspect
import tomllib
from pathlib import Path

import pytest

import singan_keras

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_is_an_spdx_string_with_its_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert isinstance(project["license"], str)  # a TOML table is deprecated by setuptools
    assert all((ROOT / name).is_file() for name in project["license-files"])


def _public_callables():
    """The functions and public methods of everything `singan_keras` exports."""
    for name in singan_keras.__all__:
        exported = getattr(singan_keras, name)
        if inspect.isfunction(exported):
            yield name, exported
        elif inspect.isclass(exported):
            for attribute, value in vars(exported).items():
                if isinstance(value, (classmethod, staticmethod)):
                    value = value.__func__
                if inspect.isfunction(value) and not attribute.startswith("_"):
                    yield f"{name}.{attribute}", value


def test_py_typed_is_shipped_and_the_exported_api_is_annotated():
    assert (Path(singan_keras.__file__).parent / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "py.typed" in package_data["package-data"]["singan_keras"]
    checked = 0
    for name, function in _public_callables():
        signature = inspect.signature(function)
        for parameter in signature.parameters.values():
            if parameter.name in ("self", "cls"):
                continue
            assert parameter.annotation is not inspect.Parameter.empty, (name, parameter.name)
        assert signature.return_annotation is not inspect.Signature.empty, name
        checked += 1
    if checked == 0:
        pytest.fail("no exported function found: the check checks nothing")
