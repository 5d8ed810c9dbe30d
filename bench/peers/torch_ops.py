"""PyTorch side of bench/ops.mjs: the same ops, names and shapes, one thread. Prints one JSON line
{name: median ms}; argv[1] is the comma-separated list of ops to run."""
import json
import sys
import time

import torch
import torch.nn.functional as F

try:
    from torch.func import grad
except ImportError:
    from functorch import grad

torch.set_num_threads(1)
torch.manual_seed(0)
R = torch.randn
x, y, row, col = R(1024, 1024), R(1024, 1024), R(1024), R(1024, 1)
ax = x.abs()
half = R(512, 1024)
emb, idx = R(10000, 128), torch.randint(0, 10000, (4096,))
img, cx, cw = R(64, 32, 24, 24), R(64, 32, 26, 26), R(64, 32, 3, 3)
logits, target = R(4096, 1000), torch.randint(0, 1000, (4096,))
A, B = R(64, 128, 64), R(64, 64, 128)
lx, lw, lb = R(256, 1024), R(1024, 1024), R(1024)
ops = dict(
    add=lambda: x + y, add_row=lambda: x + row, mul_col=lambda: x * col,
    exp=lambda: x.exp(), log=lambda: ax.log(), tanh=lambda: x.tanh(), sigmoid=lambda: x.sigmoid(), sqrt=lambda: ax.sqrt(),
    relu=lambda: F.relu(x), gelu=lambda: F.gelu(x), clamp=lambda: x.clamp(-0.5, 0.5),
    sum_last=lambda: x.sum(-1), sum_first=lambda: x.sum(0), sum_all=lambda: x.sum(), max_last=lambda: x.max(-1).values,
    argmax_last=lambda: x.argmax(-1), var_last=lambda: x.var(-1),
    softmax_last=lambda: F.softmax(x, -1), softmax_first=lambda: F.softmax(x, 0), logsoftmax_last=lambda: F.log_softmax(x, -1),
    layernorm=lambda: F.layer_norm(x, [1024]), layernorm_affine=lambda: F.layer_norm(x, [1024], row, lb),
    transpose_copy=lambda: x.T.contiguous(),
    cat0=lambda: torch.cat([half, half], 0), cat1=lambda: torch.cat([half, half], 1), index_select=lambda: emb.index_select(0, idx),
    maxpool=lambda: F.max_pool2d(img, 2), avgpool=lambda: F.avg_pool2d(img, 2), conv=lambda: F.conv2d(cx, cw),
    bmm=lambda: A.matmul(B), cross_entropy=lambda: F.cross_entropy(logits, target),
    grad_embedding=lambda: grad(lambda w: F.embedding(idx, w).sum())(emb),
    grad_maxpool=lambda: grad(lambda v: F.max_pool2d(v, 2).sum())(img),
    grad_conv=lambda: grad(lambda w: F.conv2d(cx, w).sum())(cw),
    grad_cross_entropy=lambda: grad(lambda l: F.cross_entropy(l, target))(logits),
    grad_linear=lambda: grad(lambda w: F.linear(lx, w.T, lb).tanh().sum())(lw),
    grad_layernorm=lambda: grad(lambda v: F.layer_norm(v, [1024]).tanh().sum())(x),
    grad_layernorm_affine=lambda: grad(lambda v: F.layer_norm(v, [1024], row, lb).tanh().sum())(x),
    grad_softmax=lambda: grad(lambda v: (F.softmax(v, -1) * y).sum())(x),
)


def median_ms(call):
    for _ in range(3):
        call()
    ts, start = [], time.perf_counter()
    while len(ts) < 15 or (time.perf_counter() - start < 0.4 and len(ts) < 200):
        t0 = time.perf_counter()
        call()
        ts.append((time.perf_counter() - t0) * 1e3)
    return sorted(ts)[len(ts) // 2]


names = sys.argv[1].split(",") if len(sys.argv) > 1 else list(ops)
print(json.dumps({n: median_ms(lambda: ops[n]().numpy()) for n in names}))
