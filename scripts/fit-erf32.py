"""Fits the polynomials of erf's and GELU's float32 sequences (src/backend/wasm/transcendental32.ts).

Minimax fits by Lawson's iteration (least squares reweighted by the error) on 2000 Chebyshev
nodes, against mpmath at 40 digits, printed rounded to float32, highest power first:
  P: erf(x)/x - 1 in t = x^2 on [0, 1], degree 6 (absolute error);
  Q: erfc(x) e^(x^2) on [1, 2] in s = 2 (x - 1.5) and on [2, 4] in s = x - 3, degree 7 (relative);
  GELU_R: erfc(a) e^(a^2) in t = 1 / (1 + a / 2) for a in [0, 9.3], degree 10 (relative): GELU's
  erfc(|x| / sqrt 2) on both sides of 0 (e^(-x^2/2) is below the smallest float32 past a = 9.3).
A development tool (needs numpy and mpmath), not part of the build.
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40


def minimax(f, a, b, degree, relative=False, iterations=60):
    k = np.arange(2000)
    x = (a + b) / 2 + (b - a) / 2 * np.cos((2 * k + 1) * np.pi / 4000)
    y = np.array([float(f(mp.mpf(float(v)))) for v in x])
    basis = np.vander(x, degree + 1, increasing=True)
    scale = 1 / np.abs(y) if relative else np.ones_like(y)
    w = np.full_like(x, 1 / len(x))
    for _ in range(iterations):
        sw = np.sqrt(w) * scale
        c, *_ = np.linalg.lstsq(basis * sw[:, None], y * sw, rcond=None)
        w = w * np.abs((basis @ c - y) * scale)
        w /= w.sum()
    return c, np.abs((basis @ c - y) * scale).max()


def show(name, c, err):
    print(f"{name} (max error {err:.2g}):", [float(np.float32(v)) for v in c[::-1]])


show("ERF_P", *minimax(lambda t: mp.erf(mp.sqrt(t)) / mp.sqrt(t) - 1 if t > 0 else 2 / mp.sqrt(mp.pi) - 1, 0, 1, 6))
show("ERF_Q_LOW", *minimax(lambda s: mp.erfc(1.5 + s / 2) * mp.exp((1.5 + s / 2) ** 2), -1, 1, 7, relative=True))
show("ERF_Q_HIGH", *minimax(lambda s: mp.erfc(3 + s) * mp.exp((3 + s) ** 2), -1, 1, 7, relative=True))
show("GELU_R", *minimax(lambda t: mp.erfc(2 * (1 - t) / t) * mp.exp((2 * (1 - t) / t) ** 2), 1 / (1 + 0.5 * 9.3), 1, 10, relative=True))
