"""An ODE integrated with `lax.scan` (classic RK4), differentiated with respect to its
parameters.

Lotka–Volterra predator–prey dynamics

    dx/dt = alpha x - beta x y          (prey)
    dy/dt = delta x y - gamma y         (predators)

are integrated for `STEPS` RK4 steps. The whole trajectory is one `scan` equation (its
program does not grow with the number of steps); `fnx.grad` of the final state turns it into
a forward scan that stores each step's residuals and a reverse scan (the adjoint), and
`fnx.jacfwd` pushes tangents through the same scan. Both are checked against central finite
differences and against a plain NumPy integrator.

Run: `python examples/ode.py` (a few seconds).
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo

import fnx
import fnx.numpy as fnp
from fnx import lax

STEPS, DT = 2000, 0.01  # t in [0, 20]


def vector_field(state, params):
    x, y = state[0], state[1]
    alpha, beta, delta, gamma = params[0], params[1], params[2], params[3]
    return fnp.stack([alpha * x - beta * x * y, delta * x * y - gamma * y])


def rk4_step(state, params):
    k1 = vector_field(state, params)
    k2 = vector_field(state + 0.5 * DT * k1, params)
    k3 = vector_field(state + 0.5 * DT * k2, params)
    k4 = vector_field(state + DT * k3, params)
    return state + (DT / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def trajectory(params, state0):
    """(final state, states at every step) as one scan."""
    def step(state, _):
        new = rk4_step(state, params)
        return new, new
    return lax.scan(step, state0, None, length=STEPS)


def final_prey(params, state0):
    return trajectory(params, state0)[0][0]


def numpy_final_state(params, state0):
    def f(s):
        x, y = s
        a, b, d, g = params
        return np.array([a * x - b * x * y, d * x * y - g * y])
    s = np.array(state0, float)
    for _ in range(STEPS):
        k1 = f(s)
        k2 = f(s + 0.5 * DT * k1)
        k3 = f(s + 0.5 * DT * k2)
        k4 = f(s + DT * k3)
        s = s + (DT / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


def central_difference(f, params, state0, eps=1e-6):
    grad = np.zeros_like(params)
    for i in range(len(params)):
        e = np.zeros_like(params)
        e[i] = eps
        grad[i] = (f(params + e, state0) - f(params - e, state0)) / (2 * eps)
    return grad


def main():
    # The ODE and its finite-difference check are meant in float64: turn on 64-bit types
    # (fnx, like JAX, computes in float32 by default).
    fnx.config.update("jax_enable_x64", True)
    params = np.array([1.1, 0.4, 0.1, 0.4])   # alpha, beta, delta, gamma
    state0 = np.array([10.0, 5.0])            # prey, predators

    traj = fnx.jit(trajectory)
    final, states = traj(params, state0)
    print(f"Lotka-Volterra, RK4, {STEPS} steps of dt={DT}:")
    print(f"  final state (prey, predators) = {final}")
    print(f"  NumPy integrator              = {numpy_final_state(params, state0)}")
    assert np.allclose(final, numpy_final_state(params, state0), rtol=1e-10)
    print(f"  prey range over the trajectory: {states[:, 0].min():.3f} .. "
          f"{states[:, 0].max():.3f}")
    program = fnx.make_ir(trajectory)(params, state0)
    print(f"  the traced program has {len(program.equations)} top-level equation(s): "
          f"{[eq.primitive for eq in program.equations]}")

    grad_fn = fnx.jit(fnx.grad(final_prey))
    start = time.perf_counter()
    g = grad_fn(params, state0)
    t_grad = time.perf_counter() - start
    jac = fnx.jit(fnx.jacfwd(lambda p: trajectory(p, state0)[0]))(params)
    fd = central_difference(lambda p, s: numpy_final_state(p, s)[0], params, state0)
    names = ["alpha", "beta", "delta", "gamma"]
    print("\nd(final prey)/d(parameter):")
    print(f"  {'':6} {'grad (reverse scan)':>22} {'jacfwd (forward)':>20} {'finite diff':>16}")
    for k, n in enumerate(names):
        print(f"  {n:6} {g[k]:22.8f} {jac[0, k]:20.8f} {fd[k]:16.8f}")
    rel = np.max(np.abs(g - fd)) / np.max(np.abs(fd))
    print(f"  max relative difference grad vs finite differences: {rel:.2e}")
    assert rel < 1e-5 and np.allclose(g, jac[0], rtol=1e-9, atol=1e-9)

    grad_program = fnx.jit(fnx.grad(final_prey)).lower(params, state0).program
    scans = [eq for eq in grad_program.equations if eq.primitive == "scan"]
    print(f"\nthe gradient program: {len(grad_program.equations)} equations, "
          f"{len(scans)} scans (reverse={[eq.params['reverse'] for eq in scans]}); "
          f"gradient took {t_grad * 1e3:.0f} ms including compilation "
          f"(backend: {fnx._core.api.default_backend()})")


if __name__ == "__main__":
    main()
