"""Shared test settings: Hypothesis profiles and the Graphviz requirement."""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_sessionstart(session):
    # In CI Graphviz must be there: the SVG tests must run, not skip.
    if os.environ.get("CI") and shutil.which("dot") is None:
        raise pytest.UsageError(
            "CI is set but Graphviz's `dot` is not on PATH: .ci/setup must install it"
        )


def dot_available() -> bool:
    return shutil.which("dot") is not None


@pytest.fixture
def require_dot():
    """Skip (outside CI) when Graphviz's dot is missing; CI fails at start instead."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt-get install graphviz)")


@pytest.fixture
def gc_disabled():
    """The cyclic garbage collector off for the test (restored after): what
    frees a graph then is reference counting alone."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@pytest.fixture(autouse=True)
def _no_pause_left_open():
    """Every test leaves the collector as it found it: no `gc_paused` block
    left open (a count that never returns to 0 would silently stop every
    later pause), the collector enabled."""
    import gc

    from autodiff import modes

    yield
    assert modes._paused[0] == 0, f"a gc_paused block was left open ({modes._paused[0]})"
    assert gc.isenabled(), "the test left the garbage collector disabled"
