"""Shared test setup: hypothesis profiles, and the `x64` marker / `x64_mode` fixture.

`ci` is derandomised so a red run reproduces exactly.

fnx's x64 switch is off by default (float32/int32 defaults, as JAX). A test (or a module, via
`pytestmark = pytest.mark.x64`) that needs 64-bit defaults is marked `@pytest.mark.x64`: it
runs with the switch on and the previous value is restored afterwards. A test about
default-dtype behaviour takes the `x64_mode` fixture instead and runs in both modes.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

import fnx

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "x64: run with fnx's x64 switch on (64-bit default dtypes), restored after")


@pytest.fixture(autouse=True)
def _x64_switch(request):
    """Every test starts from the process's switch value; `x64`-marked ones turn it on."""
    saved = fnx.config.jax_enable_x64
    if request.node.get_closest_marker("x64") is not None:
        fnx.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        fnx.config.update("jax_enable_x64", saved)


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64_mode(request, _x64_switch) -> bool:
    """Runs the test once with the x64 switch off and once on; the value is the mode."""
    fnx.config.update("jax_enable_x64", request.param)
    return request.param
