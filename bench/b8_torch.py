"""PyTorch side of bench/b8_transformer.ts (SPEC's B8): the same block, initial
weights and tokens (from the JSON the TypeScript side writes, made by
inputs.ts), eager float32 on the CPU. Prints one JSON line: steps/s over 50
steps after 5 warm-up, and the loss of the last step.

    /usr/bin/python3 bench/b8_torch.py b8.json [threads]
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

B, T, V, D, H = 16, 64, 96, 128, 4


def main(path, threads):
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
    start = time.perf_counter()
    for _ in range(50):
        loss = step()
    rate = 50 / (time.perf_counter() - start)
    print(json.dumps({"rate": rate, "loss": loss, "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
