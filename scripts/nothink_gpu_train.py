"""Trains the no-think painter's TorchScript module on a GPU, through the module's own train_loss.

The module (init.pt), the prompts' token ids and the rendered target images come from
io.irgstream.shapes.paint.NoThinkDataset (Java: the same sampler, renderer and module source as
`Training --step nothink`). This loop only replaces the CPU optimizer loop of NoThinkTrainer: Adam, gradient
clipping at 1.0, 10% of rows without the prompt (classifier-free guidance), weight EMA, the finite-loss guard.
The EMA weights are written as weights.bin (float32, little-endian, in parameter order) and weights.json; Java reads
them back with io.irgstream.shapes.paint.NoThinkWeights. No flips or other augmentation (they would break relations).

usage: python3 nothink_gpu_train.py DATA_DIR OUT_DIR MINUTES [BATCH] [LR]
"""
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch

data, out, minutes = sys.argv[1], sys.argv[2], float(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 256
lr = float(sys.argv[5]) if len(sys.argv) > 5 else 5e-4
ema_decay, warmup, seed = 0.999, 300, 20261204
os.makedirs(out, exist_ok=True)
torch.manual_seed(seed)
torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
dev = "cuda" if torch.cuda.is_available() else "cpu"
log = open(os.path.join(out, "train.log"), "w")


def say(msg):
    print(msg, flush=True)
    log.write(msg + "\n")
    log.flush()


m = torch.jit.load(os.path.join(data, "init.pt"), map_location="cpu").to(dev)
m.train()
tokens = 28
ids = np.frombuffer(gzip.open(os.path.join(data, "ids.u8.gz")).read(), np.uint8).reshape(-1, tokens)
imgs = np.frombuffer(gzip.open(os.path.join(data, "images.u8.gz")).read(), np.uint8).reshape(-1, 64, 64, 3)
n = len(imgs)
assert len(ids) == n, (len(ids), n)
ids_all = torch.from_numpy(ids.astype(np.int64)).to(dev)
x_all = torch.from_numpy(imgs.copy()).to(dev).permute(0, 3, 1, 2).contiguous()
uncond = torch.zeros(tokens, dtype=torch.long, device=dev)
uncond[0] = 1
names = [k for k, _ in m.named_parameters()]
params = [p for _, p in m.named_parameters()]
for p in params:
    p.requires_grad_(True)
say(f"device {dev} ({torch.cuda.get_device_name() if dev == 'cuda' else 'cpu'}), {n} rows, "
    f"{sum(p.numel() for p in params)} parameters, batch {batch}, lr {lr}, ema {ema_decay}, {minutes} min")
opt = torch.optim.Adam(params, lr=lr)
ema = [p.detach().clone() for p in params]
good = [p.detach().clone() for p in params]
step, restores, t0, window = 0, 0, time.time(), []
while time.time() - t0 < minutes * 60:
    for g in opt.param_groups:
        g["lr"] = lr * min(1.0, (step + 1) / warmup)
    idx = torch.randint(0, n, (batch,), device=dev)
    x0 = x_all[idx].float() / 127.5 - 1.0
    b_ids = ids_all[idx].clone()
    b_ids[torch.rand(batch, device=dev) < 0.1] = uncond
    noise = torch.randn_like(x0)
    t = torch.rand(batch, device=dev)
    loss = m.train_loss(x0, b_ids, noise, t)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
    if not (math.isfinite(loss.item()) and math.isfinite(norm.item())):
        with torch.no_grad():
            for p, g in zip(params, good):
                p.copy_(g)
        opt = torch.optim.Adam(params, lr=lr)
        restores += 1
        say(f"non-finite loss at step {step}: restored the last good weights")
        continue
    opt.step()
    step += 1
    with torch.no_grad():
        d = min(ema_decay, (1.0 + step) / (10.0 + step))
        for e, p in zip(ema, params):
            e.lerp_(p.detach(), 1.0 - d)
        if step % 500 == 0:
            for g, p in zip(good, params):
                g.copy_(p.detach())
    window.append(loss.item())
    if step % 250 == 0:
        say(f"step {step} loss {sum(window) / len(window):.5f} {(time.time() - t0):.0f} s")
        window = []
meta = {"params": [{"name": k, "shape": list(p.shape)} for k, p in zip(names, ema)], "steps": step,
        "batch": batch, "lr": lr, "ema": ema_decay, "warmup": warmup, "rows": n, "restores": restores,
        "seconds": round(time.time() - t0), "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu",
        "torch": torch.__version__, "seed": seed}
with open(os.path.join(out, "weights.bin"), "wb") as f:
    for e in ema:
        f.write(e.detach().float().cpu().contiguous().numpy().astype("<f4").tobytes())
with open(os.path.join(out, "weights.json"), "w") as f:
    json.dump(meta, f, indent=1)
say(f"done: {step} steps in {time.time() - t0:.0f} s, restores {restores}")
