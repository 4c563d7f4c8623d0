"""A tour of fnx: trace functions to IR, print it, evaluate it eagerly and through a backend.

Run with `python3 tasks.py demo`.
"""
import time

import numpy as np

import fnx
import fnx.numpy as fnp
import fnx_ir


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def predict(params, x):
    """A two-layer MLP written with fnx.numpy."""
    (w1, b1), (w2, b2) = params
    h = fnx.nn.relu(x @ w1 + b1) if hasattr(fnx, "nn") else fnp.maximum(x @ w1 + b1, 0.0)
    return h @ w2 + b2


def main() -> None:
    rng = np.random.default_rng(0)

    section("1. Trace a function into the IR")
    def f(x):
        return fnp.tanh(x) * fnp.sin(x) + 0.5 * fnp.exp(-x * x)
    x = rng.standard_normal(8).astype(np.float32)
    program = fnx.make_ir(f)(x)
    print(program)

    section("2. The text form round-trips")
    again = fnx_ir.parse(str(program))
    print("parse(str(program)) == program:", again == program)

    section("3. Eager evaluation returns numpy arrays")
    eager = f(x)
    print(type(eager).__name__, eager.dtype, eager)
    ref = np.tanh(x) * np.sin(x) + 0.5 * np.exp(-x * x)
    print("max |fnx - numpy| =", float(np.max(np.abs(eager - ref))))

    section("4. The same program through the interpreter backend")
    from fnx.backends.interpreter import evaluate
    (out,) = evaluate(program, [x])
    print("interpreter == eager:", np.array_equal(out, eager))

    section("5. Pytrees in, pytrees out: an MLP")
    params = [(rng.standard_normal((4, 16)).astype(np.float32) * 0.5, np.zeros(16, np.float32)),
              (rng.standard_normal((16, 3)).astype(np.float32) * 0.5, np.zeros(3, np.float32))]
    batch = rng.standard_normal((5, 4)).astype(np.float32)
    mlp_ir = fnx.make_ir(predict)(params, batch)
    print(f"{len(mlp_ir.equations)} equations, inputs: "
          + ", ".join(str(v.type) for v in mlp_ir.inputs))
    print(mlp_ir)

    section("6. jit: trace once, compile, call")
    step = fnx.jit(predict)
    t0 = time.perf_counter()
    step(params, batch)
    t1 = time.perf_counter()
    for _ in range(100):
        step(params, batch)
    t2 = time.perf_counter()
    print(f"backend {fnx._core.api.default_backend()!r}: first call {1e3 * (t1 - t0):.1f} ms, "
          f"then {1e6 * (t2 - t1) / 100:.1f} µs per call")
    print("jit == eager:", np.allclose(step(params, batch), predict(params, batch), rtol=1e-5))


if __name__ == "__main__":
    main()
