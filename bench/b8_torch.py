"""PyTorch side of bench/b8_interleaved.ts (SPEC's B8): the same block, initial
weights and tokens (from the JSON the TypeScript side writes, made by
inputs.ts), eager float32 on the CPU. Prints one JSON line: steps/s over 50
steps after 5 warm-up, and the loss of the last step.

    /usr/bin/python3 bench/b8_torch.py b8.json [threads] [--serve]

With --serve (bench/b8_interleaved.ts) it prints "ready" after the warm-up,
then for each line n read from stdin takes n steps and prints one JSON line:
their wall and CPU seconds and the last loss.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

B, T, V, D, H = 16, 64, 96, 128, 4


def main(path, threads, serve=False):
    torch.set_num_threads(threads)
    d = json.load(open(path))
    t = lambda k, *shape: nn.Parameter(torch.tensor(d[k], dtype=torch.float32).reshape(shape))
    emb, pos = t("embedding", V, D), t("positions", T, D)
    attn = nn.MultiheadAttention(D, H, batch_first=True)
    attn.in_proj_weight = t("inProj", 3 * D, D)
    attn.out_proj.weight = t("outProj", D, D)
    nn.init.zeros_(attn.in_proj_bias)
    nn.init.zeros_(attn.out_proj.bias)
    mlp_in, mlp_out = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
    mlp_in.weight, mlp_out.weight = t("mlpIn", 4 * D, D), t("mlpOut", D, 4 * D)
    nn.init.zeros_(mlp_in.bias)
    nn.init.zeros_(mlp_out.bias)
    ln1, ln2, ln_f = nn.LayerNorm(D), nn.LayerNorm(D), nn.LayerNorm(D)
    modules = nn.ModuleList([attn, mlp_in, mlp_out, ln1, ln2, ln_f])
    params = [emb, pos] + list(modules.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    tokens = torch.tensor(d["tokens"], dtype=torch.long).reshape(B, T + 1)
    x, y = tokens[:, :T], tokens[:, 1:]
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)

    def step():
        h = emb[x] + pos
        a = ln1(h)
        h = h + attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        h = h + mlp_out(F.gelu(mlp_in(ln2(h))))
        logits = ln_f(h) @ emb.T
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(5):
        step()
    if serve:
        print("ready", flush=True)
        for line in sys.stdin:
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(int(line)):
                loss = step()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(json.dumps({"s": wall, "cpu": cpu, "loss": loss}), flush=True)
        return
    start = time.perf_counter()
    for _ in range(50):
        loss = step()
    rate = 50 / (time.perf_counter() - start)
    print(json.dumps({"rate": rate, "loss": loss, "torch": torch.__version__}))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--serve"]
    main(args[0], int(args[1]) if len(args) > 1 else 1, "--serve" in sys.argv)
