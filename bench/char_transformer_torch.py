"""The PyTorch twin of examples/char_transformer.ts: the same model (module
names match Lathe's parameter tree), the same initial weights, data split and
batches (read from the JSON that `char_transformer.ts --dump` writes), AdamW
with the same settings, eager float32 on the CPU. Prints a JSON line with the
validation loss, the training losses and the wall time of the training loop.

    /usr/bin/python3 bench/char_transformer_torch.py dump.json [threads, 2 by default]
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ALPHABET = ".abcdefghijklmnopqrstuvwxyz"


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        a = self.ln1(x)
        x = x + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.tok_emb = nn.Embedding(c["vocab"], c["dim"])
        self.pos_emb = nn.Embedding(c["context"], c["dim"])
        self.blocks = nn.ModuleList([Block(c["dim"], c["heads"]) for _ in range(c["layers"])])
        self.ln_f = nn.LayerNorm(c["dim"])
        self.head = nn.Linear(c["dim"], c["vocab"])

    def forward(self, ids):
        t = ids.shape[1]
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)  # True = may not attend
        h = self.tok_emb(ids) + self.pos_emb(torch.arange(t))
        for b in self.blocks:
            h = b(h, mask)
        return self.head(self.ln_f(h))


def encode(words, context):
    x = torch.zeros(len(words), context, dtype=torch.long)
    y = torch.full((len(words), context), -1, dtype=torch.long)
    for r, w in enumerate(words):
        ids = [ALPHABET.index(ch) for ch in w]
        x[r, 1:len(ids) + 1] = torch.tensor(ids, dtype=torch.long)
        y[r, :len(ids) + 1] = torch.tensor(ids + [0], dtype=torch.long)
    return x, y


def main(path):
    d = json.load(open(path))
    c = d["config"]
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    model = Model(c)
    state = {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in d["params"].items()}
    model.load_state_dict(state)
    opt = torch.optim.AdamW(model.parameters(), lr=d["lr"], weight_decay=d["weightDecay"])
    x, y = encode(d["train"], c["context"])
    losses = []
    start = time.perf_counter()
    for idx in d["batches"]:
        i = torch.tensor(idx)
        logits = model(x[i])
        loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), y[i].reshape(-1), ignore_index=-1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - start
    vx, vy = encode(d["val"], c["context"])
    with torch.no_grad():
        total = F.cross_entropy(model(vx).reshape(-1, c["vocab"]), vy.reshape(-1), ignore_index=-1,
                                reduction="sum").item()
    val = total / int((vy >= 0).sum())
    print(json.dumps({"valLoss": val, "losses": losses, "seconds": seconds, "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1])
