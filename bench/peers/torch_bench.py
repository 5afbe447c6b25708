"""PyTorch on the SPEC workloads (bench/SPEC.md), printing one JSON object.

    /usr/bin/python3 bench/peers/torch_bench.py [--only B1,B2] [--runs N] [--warmups N] [--threads N]

Inputs are generated here with an exact port of mulberry32 + Box-Muller from
bench/inputs.ts (vectorised: mulberry32's state after k draws is
seed + k * 0x6d2b79f5, so every draw can be hashed independently); the JSON
carries a SHA-256 of every input array's float32 bytes so bench/run.ts can
check them against the TS generator. CPU torch is synchronous, so a call has
finished when it returns; results are still read with .numpy().
"""
import argparse
import ctypes
import hashlib
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

M32 = np.uint64(0xFFFFFFFF)


def uniform(n, seed):
    """n draws of mulberry32(seed), as float64 in [0, 1) (bit-exact with inputs.ts)."""
    k = np.arange(1, n + 1, dtype=np.uint64)
    a = (np.uint64(seed) + k * np.uint64(0x6D2B79F5)) & M32
    a = a.astype(np.uint32)
    t = a
    t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))  # uint32 product wraps: Math.imul
    t = t ^ (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61)))
    return (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0


def randn(n, seed, scale=1.0):
    """Box-Muller over mulberry32, float32 (as inputs.ts: float64 math, then rounded)."""
    u = uniform(n + (n & 1), seed)
    u1 = np.maximum(u[0::2], 1e-12)
    u2 = u[1::2]
    m = np.sqrt(-2.0 * np.log(u1))
    out = np.empty(n + (n & 1), dtype=np.float64)
    out[0::2] = m * np.cos(2 * math.pi * u2) * scale
    out[1::2] = m * np.sin(2 * math.pi * u2) * scale
    return out[:n].astype(np.float32)


def randint(n, hi, seed):
    return np.floor(uniform(n, seed) * hi).astype(np.int64)


HASHES = {}


def t32(name, arr, shape=None):
    HASHES[name] = hashlib.sha256(np.ascontiguousarray(arr, dtype=np.float32).tobytes()).hexdigest()
    t = torch.from_numpy(arr.copy())
    return t.reshape(shape) if shape else t


def timed(fn, runs, warmups):
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def blas_info():
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower()})
    info = {"libraries": libs}
    for lib in libs:
        if "libopenblas" in lib:
            ob = ctypes.CDLL(lib)
            ob.openblas_get_corename.restype = ctypes.c_char_p
            ob.openblas_get_config.restype = ctypes.c_char_p
            info["openblas_core"] = ob.openblas_get_corename().decode()
            info["openblas_config"] = ob.openblas_get_config().decode().strip()
            info["openblas_threads"] = ob.openblas_get_num_threads()
    return info


def train(params, loss_fn, warm, steps):
    opt = torch.optim.SGD(params, lr=0.1)
    last = None
    t0 = 0.0
    for i in range(warm + steps):
        if i == warm:
            t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        params[-1].detach().numpy()  # read w2 each step, as the other systems do
        last = loss
    return (time.perf_counter() - t0) * 1e3, float(last.item())


def b8():
    """SPEC B8: the pre-norm transformer block, AdamW; steps/s over 50 steps after 5, last loss."""
    B, T, V, D, H = 16, 64, 96, 128, 4
    param = lambda name, data, *shape: torch.nn.Parameter(t32(f"B8-{name}", data, shape))
    emb = param("embedding", randn(V * D, 51, 0.02), V, D)
    pos = param("positions", randn(T * D, 52, 0.02), T, D)
    attn = torch.nn.MultiheadAttention(D, H, batch_first=True)
    attn.in_proj_weight = param("inProj", randn(3 * D * D, 53, math.sqrt(1 / D)), 3 * D, D)
    attn.out_proj.weight = param("outProj", randn(D * D, 54, math.sqrt(1 / D)), D, D)
    mlp_in, mlp_out = torch.nn.Linear(D, 4 * D), torch.nn.Linear(4 * D, D)
    mlp_in.weight = param("mlpIn", randn(4 * D * D, 55, math.sqrt(2 / D)), 4 * D, D)
    mlp_out.weight = param("mlpOut", randn(D * 4 * D, 56, math.sqrt(1 / (4 * D))), D, 4 * D)
    for b in (attn.in_proj_bias, attn.out_proj.bias, mlp_in.bias, mlp_out.bias):
        torch.nn.init.zeros_(b)
    ln1, ln2, ln_f = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
    modules = torch.nn.ModuleList([attn, mlp_in, mlp_out, ln1, ln2, ln_f])
    opt = torch.optim.AdamW([emb, pos, *modules.parameters()], lr=1e-3, weight_decay=0.01)
    tokens = torch.from_numpy(randint(B * (T + 1), V, 57)).reshape(B, T + 1)
    HASHES["B8-tokens"] = hashlib.sha256(tokens.numpy().astype(np.int32).tobytes()).hexdigest()
    x, y = tokens[:, :T], tokens[:, 1:]
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    for i in range(55):
        if i == 5:
            t0 = time.perf_counter()
        h = emb[x] + pos
        a = ln1(h)
        h = h + attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        h = h + mlp_out(F.gelu(mlp_in(ln2(h))))
        loss = F.cross_entropy((ln_f(h) @ emb.T).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        last = float(loss.item())
    return 50 / (time.perf_counter() - t0), last


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="B1,B2,B3,B4,B5,B6,B7,B8")
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--warmups", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    only = set(args.only.upper().split(","))
    torch.set_num_threads(args.threads)
    res = {}

    def put(key, value, mode="eager", **extra):
        res.setdefault(key, []).append({"value": value, "mode": mode, **extra})

    runs, warm = args.runs, args.warmups
    if "B1" in only:
        for n in (128, 512, 1024):
            a = t32(f"B1-{n}-a", randn(n * n, 1), (n, n))
            b = t32(f"B1-{n}-b", randn(n * n, 2), (n, n))
            ms = timed(lambda: torch.mm(a, b).numpy(), max(runs, 21) if n == 128 else runs, warm)
            put(f"B1-{n}", 2 * n**3 / (ms * 1e-3) / 1e9, "torch.mm")
    if "B2" in only:
        x = t32("B2-x", randn(1_048_576, 3))
        put("B2", timed(lambda: (torch.sigmoid(x * 2 + 1) * torch.relu(x) - 0.5 * x).numpy(), runs, warm))
    if "B3" in only:
        x = t32("B3-x", randn(256 * 784, 4), (256, 784))
        w = t32("B3-w", randn(784 * 256, 5, 1 / math.sqrt(784)), (784, 256))
        b = t32("B3-b", randn(256, 6))
        put("B3", timed(lambda: torch.relu(torch.addmm(b, x, w)).numpy(), runs, warm), "relu(addmm)")
    if "B4" in only:
        w1 = t32("B4-w1", randn(784 * 256, 11, math.sqrt(2 / 784)), (784, 256)).requires_grad_()
        w2 = t32("B4-w2", randn(256 * 10, 12, math.sqrt(1 / 256)), (256, 10)).requires_grad_()
        x = t32("B4-x", randn(128 * 784, 13), (128, 784))
        y = torch.from_numpy(randint(128, 10, 14))
        HASHES["B4-y"] = hashlib.sha256(y.numpy().astype(np.int32).tobytes()).hexdigest()
        b1 = torch.zeros(256, requires_grad=True)
        b2 = torch.zeros(10, requires_grad=True)
        ms, loss = train([w1, b1, b2, w2], lambda: F.cross_entropy(torch.relu(x @ w1 + b1) @ w2 + b2, y), 20, 200)
        put("B4", 200 / (ms / 1e3), "eager + optim.SGD", loss=loss)
    if "B5" in only:
        x = t32("B5-x", np.abs(randn(784, 21)), (1, 784))
        w1 = t32("B5-w1", randn(784 * 20, 22, 1 / math.sqrt(784)), (784, 20)).requires_grad_()
        w2 = t32("B5-w2", randn(20 * 10, 23, 1 / math.sqrt(20)), (20, 10)).requires_grad_()
        target = F.one_hot(torch.tensor([1]), 10).float()
        ms, loss = train([w1, w2], lambda: F.binary_cross_entropy(torch.sigmoid(torch.relu(x @ w1) @ w2), target), 0, 1000)
        put("B5", ms, "eager + optim.SGD", loss=loss)
    if "B7" in only:
        c1 = t32("B7-conv1", randn(16 * 9, 41, math.sqrt(2 / 9)), (16, 1, 3, 3)).requires_grad_()
        c2 = t32("B7-conv2", randn(32 * 16 * 9, 42, math.sqrt(2 / 144)), (32, 16, 3, 3)).requires_grad_()
        f1 = t32("B7-fc1", randn(128 * 1568, 43, math.sqrt(2 / 1568)), (128, 1568)).requires_grad_()
        f2 = t32("B7-fc2", randn(10 * 128, 44, math.sqrt(1 / 128)), (10, 128)).requires_grad_()
        x = t32("B7-x", randn(64 * 784, 45), (64, 1, 28, 28))
        y = torch.from_numpy(randint(64, 10, 46)).long()
        bs = [torch.zeros(n, requires_grad=True) for n in (16, 32, 128, 10)]

        def cnn():
            h = F.max_pool2d(torch.relu(F.conv2d(x, c1, bs[0], padding=1)), 2)
            h = F.max_pool2d(torch.relu(F.conv2d(h, c2, bs[1], padding=1)), 2).reshape(64, 1568)
            return F.cross_entropy(F.linear(torch.relu(F.linear(h, f1, bs[2])), f2, bs[3]), y)

        opt = torch.optim.Adam([c1, c2, f1, f2, *bs], lr=1e-3)
        for i in range(55):
            if i == 5:
                t0 = time.perf_counter()
            opt.zero_grad()
            loss = cnn()
            loss.backward()
            opt.step()
            last = float(loss.item())
        put("B7", 50 / (time.perf_counter() - t0), "eager + optim.Adam", loss=last)
    if "B8" in only:
        rate, loss = b8()
        put("B8", rate, "eager + optim.AdamW, nn.MultiheadAttention", loss=loss)
    if "B6" in only:
        x = t32("B6-x", randn(1_048_576, 31))
        m = t32("B6-m", randn(1024 * 1024, 32), (1024, 1024))
        put("B6-sum", timed(lambda: x.sum().numpy(), max(runs, 11), warm))
        put("B6-softmax", timed(lambda: torch.softmax(m, 1).numpy(), runs, warm))

    out = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "config": [ln.strip() for ln in torch.__config__.show().splitlines() if "BLAS" in ln or "CPU capability" in ln],
        "blas": blas_info(),
        "env": {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
        "hashes": HASHES,
        "results": res,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
