#!/usr/bin/env python3
"""PyTorch (torch.func / functorch) side of the peer benchmark.

    python3 bench/peers/torch_bench.py --size small|large [--only a,b] [--check]

Prints one JSON line: {"system": "torch", "results": [...]}, or
{"system": "torch", "skipped": "why"} when no interpreter can import torch.

The workloads are written the way the torch.func tutorials teach (per-sample
gradients, model ensembling, Jacobians/Hessians, the torch.vmap docs' examples).
torch >= 2.0 exposes them as torch.func (vmap, grad, jacrev, jacfwd, hessian, vjp,
functional_call, stack_module_state); Debian 12's python3-torch is 1.13, where the
same transforms live in functorch (make_functional_with_buffers and
combine_state_for_ensemble take the place of functional_call and
stack_module_state). Both are supported. One thread (torch.set_num_threads(1),
OMP/OpenBLAS/MKL env vars set before torch is imported).

Every workload runs in its own child process (so ru_maxrss is that workload's own
peak and a crash or a time-out becomes an "error" entry). Inputs are the shared
seeded inputs of common.mjs (bit-identical: the same 32-bit hash, in numpy).
"""

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "workloads.json")) as fh:
    SIZES = json.load(fh)

# report order: the order of workloads.json ("_doc" aside), shared with common.mjs
WORKLOADS = [k for k in SIZES if not k.startswith("_")]

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--size", default="small", choices=["small", "large"])
    p.add_argument("--only", default=None)
    p.add_argument("--child", action="store_true")
    p.add_argument("--inprocess", action="store_true")
    p.add_argument("--check", action="store_true")
    p.add_argument("--budget-ms", type=float, default=2000.0)
    p.add_argument("--timeout-s", type=float, default=240.0)
    a = p.parse_args(argv)
    a.only = [w.strip() for w in a.only.split(",") if w.strip()] if a.only else None
    for w in a.only or []:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w}")
    return a


# ---------------------------------------------------------------------------
# Interpreter detection: `python3` on PATH may be a pyenv one without torch, while
# Debian's /usr/bin/python3 has python3-torch. Re-exec under one that has it.


def ensure_torch():
    try:
        import torch  # noqa: F401

        return None
    except Exception as e:  # ImportError, or a broken install
        first = f"{type(e).__name__}: {e}"
    if os.environ.get("PEER_TORCH_REEXEC"):
        return first
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3", "/usr/bin/python3.11"):
        if not os.path.exists(cand) or os.path.realpath(cand) == os.path.realpath(sys.executable):
            continue
        ok = subprocess.run([cand, "-c", "import torch"], capture_output=True).returncode == 0
        if ok:
            os.environ["PEER_TORCH_REEXEC"] = "1"
            os.execv(cand, [cand, os.path.abspath(__file__)] + sys.argv[1:])
    return f"no interpreter can import torch ({sys.executable}: {first}; also tried /usr/bin/python3)"


# ---------------------------------------------------------------------------
# Seeded data, bit-identical to common.mjs.

import numpy as np  # noqa: E402


def hash_u32(n, seed):
    x = np.arange(n, dtype=np.uint32) + np.uint32((seed * 0x9E3779B9) & 0xFFFFFFFF)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def uniform(shape, seed, scale=1.0):
    n = int(np.prod(shape))
    u = (hash_u32(n, seed) >> np.uint32(8)).astype(np.float64) * 2.0**-23 - 1.0
    return (u * scale).astype(np.float32).reshape(shape)


def labels(n, seed, classes):
    return ((hash_u32(n, seed) >> np.uint32(8)) % np.uint32(classes)).astype(np.int64)


def make_inputs(name, cfg):
    s = math.sqrt
    if name == "batched_dot":
        return dict(x=uniform([cfg["batch"], cfg["d"]], 1), y=uniform([cfg["batch"], cfg["d"]], 2))
    if name == "per_sample_grads_mlp":
        B, I, H, C = cfg["batch"], cfg["in"], cfg["hidden"], cfg["classes"]
        return dict(
            W1=uniform([I, H], 11, 1 / s(I)),
            b1=uniform([H], 12, 1 / s(I)),
            W2=uniform([H, C], 13, 1 / s(H)),
            b2=uniform([C], 14, 1 / s(H)),
            x=uniform([B, I], 15),
            t=labels(B, 16, C),
        )
    if name == "per_sample_grads_cnn":
        B = cfg["batch"]
        return dict(
            c1w=uniform([32, 1, 3, 3], 21, 1 / 3),
            c1b=uniform([32], 22, 1 / 3),
            c2w=uniform([64, 32, 3, 3], 23, 1 / s(288)),
            c2b=uniform([64], 24, 1 / s(288)),
            f1w=uniform([9216, 128], 25, 1 / 96),
            f1b=uniform([128], 26, 1 / 96),
            f2w=uniform([128, 10], 27, 1 / s(128)),
            f2b=uniform([10], 28, 1 / s(128)),
            x=uniform([B, 1, 28, 28], 29),
            t=labels(B, 30, 10),
        )
    if name in ("jacrev_256", "jacfwd_256"):
        D = cfg["d"]
        return dict(W=uniform([D, D], 31, 1 / s(D)), b=uniform([D], 32, 1 / s(D)), x=uniform([D], 33))
    if name == "hessian_128":
        D = cfg["d"]
        return dict(A=uniform([D, D], 41, 1 / s(D)), x=uniform([D], 42))
    if name == "batched_jacrev_64x64":
        B, D = cfg["batch"], cfg["d"]
        return dict(W=uniform([D, D], 51, 1 / s(D)), b=uniform([D], 52, 1 / s(D)), xs=uniform([B, D], 53))
    if name == "ensemble_10_mlp":
        M = cfg["models"]
        return dict(
            W1=uniform([M, 784, 128], 61, 1 / 28),
            b1=uniform([M, 128], 62, 1 / 28),
            W2=uniform([M, 128, 128], 63, 1 / s(128)),
            b2=uniform([M, 128], 64, 1 / s(128)),
            W3=uniform([M, 128, 10], 65, 1 / s(128)),
            b3=uniform([M, 10], 66, 1 / s(128)),
            x=uniform([cfg["batch"], 784], 67),
        )
    if name == "matmul_512":
        return dict(a=uniform([cfg["n"], cfg["n"]], 71), b=uniform([cfg["n"], cfg["n"]], 72))
    if name == "seed_vmap_model_3x5":
        return dict(w=uniform([cfg["features"]], 81), examples=uniform([cfg["batch"], cfg["features"]], 82))
    if name == "seed_jacobian_5":
        return dict(x=uniform([cfg["n"]], 91))
    raise KeyError(name)


# ---------------------------------------------------------------------------
# Timing and memory

_rss_high = 0


def sample_rss():
    global _rss_high
    try:
        with open("/proc/self/statm") as fh:
            r = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        r = 0
    _rss_high = max(_rss_high, r)


def peak_rss_mb():
    sample_rss()
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return round(max(ru, _rss_high) / 2**20, 1)


def checksum(arrays):
    s = 0.0
    a = 0.0
    for x in arrays:
        x = np.asarray(x, dtype=np.float64)
        s += float(x.sum())
        a += float(np.abs(x).sum())
    return [s, a]


class TooSlow(Exception):
    def __init__(self, message, first_ms):
        super().__init__(message)
        self.first_ms = first_ms


def measure(call, budget_ms=2000.0, min_reps=5, max_reps=300, check=False, label="", cap_ms=float("inf")):
    """Same protocol as measure() in common.mjs, including the early TooSlow exit."""
    start = time.perf_counter()
    calls = [0]
    limit = 0.95 * cap_ms

    def elapsed():
        return (time.perf_counter() - start) * 1e3

    def too_slow(ms, first_ms):
        return TooSlow(
            f"too slow: a call took {round(ms)} ms (first call {round(first_ms)} ms), so warm-up + 5 timed"
            f" calls do not fit in the {round(cap_ms / 1000)} s per-workload cap",
            first_ms,
        )

    def progress(ms):
        calls[0] += 1
        if os.environ.get("PEER_BENCH_CHILD"):
            sys.stderr.write("#progress " + json.dumps({"label": label, "call": calls[0], "ms": ms}) + "\n")
            sys.stderr.flush()

    t0 = time.perf_counter()
    first = call()
    first_ms = (time.perf_counter() - t0) * 1e3
    progress(first_ms)
    sums = checksum(first) if check else None
    del first
    sample_rss()
    if elapsed() + min_reps * 0.5 * first_ms > limit:
        raise too_slow(first_ms, first_ms)
    last = first_ms
    # the same warm-up as common.mjs: about half a second of calls for calls faster than 2 s
    warm_ms = 0 if first_ms > 2000 else 500
    min_warm = 0 if first_ms > 2000 else 1 if first_ms > 300 else 3
    warm = 0
    while warm < min_warm or (elapsed() < warm_ms and warm < 20000):
        t0 = time.perf_counter()
        call()
        last = (time.perf_counter() - t0) * 1e3
        if last > 20:
            progress(last)
        sample_rss()
        warm += 1
        if elapsed() + min_reps * last > limit:
            raise too_slow(last, first_ms)
    reps = max(min_reps, min(max_reps, int(budget_ms / max(last, 0.001))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        ms = (time.perf_counter() - t0) * 1e3
        times.append(ms)
        if ms > 20:  # as common.mjs: only the slow calls are worth a report line
            progress(ms)
        sample_rss()
        left = max(0, min_reps - len(times))
        if left > 0 and elapsed() + left * ms > limit:
            raise too_slow(ms, first_ms)
        if len(times) >= min_reps and elapsed() > limit:
            break
    times.sort()
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    return dict(median_ms=median, reps=len(times), checksum=sums)


# ---------------------------------------------------------------------------
# Workloads


def build_impls():
    import copy

    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    try:
        from torch.func import functional_call, grad, hessian, jacfwd, jacrev, stack_module_state, vjp, vmap

        api = "torch.func"
    except ImportError:
        from functorch import (  # type: ignore
            combine_state_for_ensemble,
            grad,
            hessian,
            jacfwd,
            jacrev,
            make_functional_with_buffers,
            vjp,
            vmap,
        )

        functional_call = stack_module_state = None
        api = "functorch"

    T = torch.from_numpy

    def read(out):
        """Read every output back (the read-back that is timed)."""
        if isinstance(out, dict):
            out = list(out.values())
        if isinstance(out, (tuple, list)):
            return [o.detach().numpy() for o in out]
        return [out.detach().numpy()]

    def batched_dot(cfg, d):
        x, y = T(d["x"]), T(d["y"])
        f = vmap(torch.dot)
        return lambda: read(f(x, y))

    def per_sample_grads_mlp(cfg, d):
        params = {k: T(d[k]) for k in ("W1", "b1", "W2", "b2")}
        x, t = T(d["x"]), T(d["t"])

        def loss(p, x, t):
            h = torch.tanh(x @ p["W1"] + p["b1"])
            logits = h @ p["W2"] + p["b2"]
            return F.cross_entropy(logits.unsqueeze(0), t.unsqueeze(0))

        f = vmap(grad(loss), in_dims=(None, 0, 0))
        return lambda: read(f(params, x, t))

    class SimpleCNN(nn.Module):  # the per-sample-gradients tutorial's model
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    def per_sample_grads_cnn(cfg, d):
        model = SimpleCNN()
        with torch.no_grad():
            model.conv1.weight.copy_(T(d["c1w"]))
            model.conv1.bias.copy_(T(d["c1b"]))
            model.conv2.weight.copy_(T(d["c2w"]))
            model.conv2.bias.copy_(T(d["c2b"]))
            model.fc1.weight.copy_(T(d["f1w"]).t())  # canonical [in, out] -> Linear's [out, in]
            model.fc1.bias.copy_(T(d["f1b"]))
            model.fc2.weight.copy_(T(d["f2w"]).t())
            model.fc2.bias.copy_(T(d["f2b"]))
        data, targets = T(d["x"]), T(d["t"])
        if functional_call is not None:
            params = {k: v.detach() for k, v in model.named_parameters()}
            buffers = {k: v.detach() for k, v in model.named_buffers()}

            def compute_loss(params, buffers, sample, target):
                batch = sample.unsqueeze(0)
                targets = target.unsqueeze(0)
                predictions = functional_call(model, (params, buffers), (batch,))
                return F.nll_loss(predictions, targets)

        else:
            fmodel, params, buffers = make_functional_with_buffers(model)

            def compute_loss(params, buffers, sample, target):
                batch = sample.unsqueeze(0)
                targets = target.unsqueeze(0)
                predictions = fmodel(params, buffers, batch)
                return F.nll_loss(predictions, targets)

        ft_compute_sample_grad = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))
        return lambda: read(ft_compute_sample_grad(params, buffers, data, targets))

    def jac(transform):
        def impl(cfg, d):
            W, b, x = T(d["W"]), T(d["b"]), T(d["x"])

            def f(x):
                return torch.tanh(W @ x + b)

            j = transform(f)
            return lambda: read(j(x))

        return impl

    def hessian_128(cfg, d):
        A, x = T(d["A"]), T(d["x"])

        def f(x):
            return (torch.sin(x) * (A @ x)).sum()

        h = hessian(f)
        return lambda: read(h(x))

    def batched_jacrev_64x64(cfg, d):
        W, b, xs = T(d["W"]), T(d["b"]), T(d["xs"])

        def f(x):
            return torch.tanh(W @ x + b)

        j = vmap(jacrev(f))
        return lambda: read(j(xs))

    class SimpleMLP(nn.Module):  # the model-ensembling tutorial's model
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 128)
            self.fc3 = nn.Linear(128, 10)

        def forward(self, x):
            x = x.flatten(1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.fc2(x)
            x = F.relu(x)
            x = self.fc3(x)
            return x

    def ensemble_10_mlp(cfg, d):
        models = []
        for m in range(cfg["models"]):
            mod = SimpleMLP()
            with torch.no_grad():
                mod.fc1.weight.copy_(T(d["W1"][m]).t())
                mod.fc1.bias.copy_(T(d["b1"][m]))
                mod.fc2.weight.copy_(T(d["W2"][m]).t())
                mod.fc2.bias.copy_(T(d["b2"][m]))
                mod.fc3.weight.copy_(T(d["W3"][m]).t())
                mod.fc3.bias.copy_(T(d["b3"][m]))
            models.append(mod)
        minibatch = T(d["x"])
        if stack_module_state is not None:
            params, buffers = stack_module_state(models)
            params = {k: v.detach() for k, v in params.items()}
            base_model = copy.deepcopy(models[0]).to("meta")

            def fmodel(params, buffers, x):
                return functional_call(base_model, (params, buffers), (x,))

        else:
            fmodel, params, buffers = combine_state_for_ensemble(models)
            params = tuple(p.detach() for p in params)
        f = vmap(fmodel, in_dims=(0, 0, None))
        return lambda: read(f(params, buffers, minibatch))

    def matmul_512(cfg, d):
        a, b = T(d["a"]), T(d["b"])
        return lambda: read(a.matmul(b))

    def seed_vmap_model_3x5(cfg, d):
        weights, examples = T(d["w"]), T(d["examples"])

        def model(feature_vec):
            # Very simple linear model with activation
            return feature_vec.dot(weights).relu()

        f = vmap(model)
        return lambda: read(f(examples))

    def seed_jacobian_5(cfg, d):
        x = T(d["x"])
        N = cfg["n"]
        I_N = torch.eye(N)

        def f(x):
            return x**2

        def call():
            _, vjp_fn = vjp(f, x)
            (jacobian,) = vmap(vjp_fn)(I_N)
            return read(jacobian)

        return call

    impls = dict(
        batched_dot=batched_dot,
        per_sample_grads_mlp=per_sample_grads_mlp,
        per_sample_grads_cnn=per_sample_grads_cnn,
        jacrev_256=jac(jacrev),
        jacfwd_256=jac(jacfwd),
        hessian_128=hessian_128,
        batched_jacrev_64x64=batched_jacrev_64x64,
        ensemble_10_mlp=ensemble_10_mlp,
        matmul_512=matmul_512,
        seed_vmap_model_3x5=seed_vmap_model_3x5,
        seed_jacobian_5=seed_jacobian_5,
    )
    return impls, api, torch.__version__


def short(e):
    return (f"{type(e).__name__}: {e}").split("\n")[0][:300]


def run_one(name, size, impls, api, args):
    cfg = SIZES[name][size]
    base = {"workload": name, "size": size}
    try:
        call = impls[name](cfg, make_inputs(name, cfg))
    except Exception as e:
        return {**base, "error": "setup failed: " + short(e)}
    try:
        m = measure(call, budget_ms=args.budget_ms, check=args.check, label=api, cap_ms=args.timeout_s * 1000)
    except TooSlow as e:
        return {**base, "error": str(e), "first_call_ms": round(e.first_ms), "peak_rss_mb": peak_rss_mb()}
    except Exception as e:
        return {**base, "error": "failed: " + short(e), "peak_rss_mb": peak_rss_mb()}
    out = {**base, "median_ms": round(m["median_ms"], 3), "peak_rss_mb": peak_rss_mb(), "note": f"{api}; n={m['reps']}"}
    if args.check:
        out["checksum"] = {api: m["checksum"]}
    return out


def main():
    args = parse_args()
    why = ensure_torch()
    if why:
        print(json.dumps({"system": "torch", "skipped": why}))
        return
    names = args.only or WORKLOADS
    results = []
    version = None
    if args.child or args.inprocess or len(names) == 1:
        impls, api, version = build_impls()
        for name in names:
            results.append(run_one(name, args.size, impls, api, args))
    else:
        import torch

        version = torch.__version__
        rest = [a for i, a in enumerate(sys.argv[1:]) if a != "--only" and (i == 0 or sys.argv[i] != "--only")]
        rest = [a for a in rest if not a.startswith("--only=")]
        env = dict(os.environ, PEER_BENCH_CHILD="1")
        for name in names:
            cmd = [sys.executable, os.path.abspath(__file__), *rest, "--only", name, "--child"]
            timed_out = False
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout_s + 60, env=env)
                stdout, stderr, code = r.stdout, r.stderr, r.returncode
            except subprocess.TimeoutExpired as e:
                timed_out = True
                dec = lambda b: b.decode() if isinstance(b, bytes) else (b or "")  # noqa: E731
                stdout, stderr, code = dec(e.stdout), dec(e.stderr), None
            lines = [l for l in stdout.strip().split("\n") if l.startswith("{")]
            parsed = None
            if lines:
                try:
                    parsed = json.loads(lines[-1])
                except ValueError:
                    parsed = None
            if parsed and parsed.get("results"):
                results.extend(parsed["results"])
            else:
                prog = [json.loads(l[10:]) for l in stderr.split("\n") if l.startswith("#progress ")]
                seen = (
                    "; calls finished: " + ", ".join(f"{round(p['ms'])} ms" for p in prog[:8])
                    if prog
                    else "; no call finished"
                )
                if timed_out:
                    why = f"too slow: killed after {args.timeout_s + 60:g} s{seen}"
                else:
                    tail = [l for l in stderr.split("\n") if l.strip() and not l.startswith("#progress ")][-3:]
                    why = f"child exited with {code}: {' | '.join(tail)[:400]}{seen}"
                entry = {"workload": name, "size": args.size, "error": why}
                if prog:
                    entry["first_call_ms"] = round(prog[0]["ms"])
                results.append(entry)
            sys.stderr.write(f"[torch] {name}/{args.size}: {json.dumps(results[-1])}\n")
    out = {"system": "torch", "results": results}
    if version:
        out["version"] = f"torch {version}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
