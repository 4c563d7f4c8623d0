"""`FNX_LOG_COMPILES` / `fnx.config.update("fnx_log_compiles", ...)`: each jit compile logs one
block with its stage times (JAX's `jax_log_compiles`), and nothing when off."""
from __future__ import annotations

import logging
import re

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx._core import config as config_module
from fnx.backends.base import CompileLog, LoweringOptions, collecting, compile_cache, compile_stage

# The stages every compile records, and those only a compile (miss) or only a hit records.
FRONT = ("trace + transform", "passes", "lower (cpu)", "check capabilities", "cache key",
         "executable")
COMPILE = ("schedule", "emit IR", "IR to text", "parse IR", "LLVM optimise",
           "object code + load")
HIT = ("cache read", "load")
_LINE = re.compile(r"^ +(\S.*?) +(-?\d+\.\d\d) ms$")


@pytest.fixture(autouse=True)
def _logging_unset(monkeypatch):
    """Each test starts with the option unset (the environment decides) and no variable set."""
    monkeypatch.delenv("FNX_LOG_COMPILES", raising=False)
    monkeypatch.delenv("JAX_LOG_COMPILES", raising=False)
    monkeypatch.setattr(config_module, "_log_compiles", [None])


def _records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fnx"]


def _stages(message: str) -> dict[str, float]:
    """Stage name -> milliseconds, from one logged block (every line after the title)."""
    lines = message.splitlines()[1:]
    found = [_LINE.match(line) for line in lines]
    assert all(found), lines
    return {m.group(1): float(m.group(2)) for m in found}


def _compile_once(x: np.ndarray, options: LoweringOptions | None = None):
    def scaled_sine(x, y):
        return fnp.sin(x) * y
    return fnx.jit(scaled_sine, options=options)(x, 2.0)


def test_enabled_by_environment_logs_every_stage_once_per_compile(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FNX_LOG_COMPILES", "1")  # read at compile time, not at import
    caplog.set_level(logging.WARNING, logger="fnx")
    f = fnx.jit(lambda x, y: fnp.sin(x) * y)
    f(np.ones(3, np.float32), 2.0)
    f(np.ones(3, np.float32), 3.0)  # same signature: no compile, no log
    (message,) = _records(caplog)
    title = message.splitlines()[0]
    assert title.startswith("Compiled jit(<lambda>) for (float32[3], float32[] weak) in ")
    assert title.endswith("(disk cache: miss)")
    stages = _stages(message)
    assert set(FRONT + COMPILE + ("cache read", "cache write")) <= set(stages)
    assert "load" not in stages
    assert all(ms >= 0 for ms in stages.values())
    (record,) = [r for r in caplog.records if r.name == "fnx"]
    assert record.levelno == logging.WARNING
    log = record.fnx_compile_log  # the stage times themselves, for tools
    assert log.cache == "miss"
    assert abs(log.seconds("LLVM optimise") * 1e3 - stages["LLVM optimise"]) <= 0.006  # (x.xx ms)


def test_disabled_prints_nothing(tmp_path, monkeypatch, caplog, capfd):
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    caplog.set_level(logging.DEBUG)
    _compile_once(np.ones(4, np.float32))
    monkeypatch.setenv("FNX_LOG_COMPILES", "1")
    fnx.config.update("fnx_log_compiles", False)  # the option overrides the environment
    _compile_once(np.ones(5, np.float32))
    assert _records(caplog) == []
    out, err = capfd.readouterr()
    assert "Compiled jit" not in out + err


def test_disk_cache_hit_shows_the_cache_stages_instead_of_llvm(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("FNX_CACHE_DIR", str(tmp_path))
    fnx.config.update("jax_log_compiles", True)  # JAX's name for the option
    caplog.set_level(logging.WARNING, logger="fnx")
    x = np.arange(6, dtype=np.float32)
    first = _compile_once(x)
    second = _compile_once(x)  # a new jit function: the program comes from the disk cache
    miss, hit = _records(caplog)
    assert miss.splitlines()[0].endswith("(disk cache: miss)")
    assert hit.splitlines()[0].endswith("(disk cache: hit)")
    stages = _stages(hit)
    assert set(FRONT + HIT) <= set(stages)
    assert not set(COMPILE + ("cache write",)) & set(stages)
    assert all(ms >= 0 for ms in stages.values())
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))


def test_cache_off_says_so_and_compiles(monkeypatch, caplog):
    monkeypatch.setenv("FNX_CACHE_DIR", "")
    fnx.config.update("log_compiles", True)
    caplog.set_level(logging.WARNING, logger="fnx")
    _compile_once(np.ones(7, np.float32))
    _compile_once(np.ones(7, np.float32), LoweringOptions().with_extra(cache=False))
    for message in _records(caplog):
        assert message.splitlines()[0].endswith("(disk cache: off)")
        stages = _stages(message)
        assert set(COMPILE) <= set(stages)
        assert not {"cache read", "cache write", "load"} & set(stages)


def test_config_option_names_and_values(monkeypatch):
    assert fnx.config.read("fnx_log_compiles") is False
    monkeypatch.setenv("JAX_LOG_COMPILES", "true")
    assert fnx.config.jax_log_compiles is True and fnx.config.fnx_log_compiles is True
    fnx.config.update("fnx_log_compiles", False)
    assert fnx.config.read("jax_log_compiles") is False
    assert "fnx_log_compiles=False" in repr(fnx.config)
    assert fnx.config.read("jax_enable_x64") is False  # the other option is untouched
    with pytest.raises(TypeError, match="expected a bool"):
        fnx.config.update("fnx_log_compiles", "yes")
    monkeypatch.setattr(config_module, "_log_compiles", [None])
    monkeypatch.setenv("JAX_LOG_COMPILES", "maybe")
    with pytest.raises(ValueError, match="JAX_LOG_COMPILES"):
        fnx.config.read("fnx_log_compiles")


def test_compile_log_nests_stages_under_their_parent():
    log = CompileLog()
    with collecting(log):
        with compile_stage("outer"):
            with compile_stage("a"):
                with compile_stage("a1"):
                    pass
            with compile_stage("b"):
                inner = CompileLog()
                with collecting(inner):  # a compile inside a compile fills its own log
                    with compile_stage("elsewhere"):
                        pass
                    compile_cache("hit")
        with compile_stage("after"):
            pass
    compile_cache("miss")  # outside `collecting`: ignored
    with compile_stage("ignored"):
        pass
    assert [(n, d) for n, d, _ in log.stages] == [("a1", 2), ("a", 1), ("b", 1), ("outer", 0),
                                                  ("after", 0)]
    assert [n for n, _, _ in inner.stages] == ["elsewhere"] and inner.cache == "hit"
    assert log.cache is None
    lines = log.report("title").splitlines()
    assert lines[0] == "title"
    assert [line.split()[0] for line in lines[1:]] == ["outer", "a", "a1", "b", "after"]
    assert [len(line) - len(line.lstrip()) for line in lines[1:]] == [2, 4, 6, 4, 2]
    assert log.seconds("outer") >= log.seconds("a") + log.seconds("b") >= 0
    assert log.seconds("missing") == 0.0


def test_a_stage_that_raises_is_still_recorded():
    log = CompileLog()
    with collecting(log), pytest.raises(RuntimeError):
        with compile_stage("failing"):
            raise RuntimeError("boom")
    assert [(n, d) for n, d, _ in log.stages] == [("failing", 0)]
