"""PyTorch reference for `npm run bench:train`: the reference CNN (three Conv-BN-ReLU blocks with pooling, global
average pooling, dense; the same architecture as NetSprout's `reference-cnn` preset) trained on the same
Fashion-MNIST images with the same batch size and optimiser, on the CPU with a fixed number of threads.

    python3 pytorchReference.py FOLDER COUNT BATCH THREADS          one epoch over COUNT images; prints one JSON line
    python3 pytorchReference.py FOLDER COUNT BATCH THREADS --serve  keeps the model and answers, per line on stdin
                                                                    "train START N", with one JSON line after training
                                                                    on images START..START+N (of a fixed shuffle)

Each JSON line: {"samplesPerSec", "seconds", "threads", "torch", "params", "loss"} ("ready" first in --serve mode).
"""
import gzip
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.1), nn.ReLU()]


def main():
    folder, count, batch, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    serve = "--serve" in sys.argv[5:]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    images = read_idx(f"{folder}/train-images-idx3-ubyte.gz")[:count].astype(np.float32) / 255.0
    labels = read_idx(f"{folder}/train-labels-idx1-ubyte.gz")[:count].astype(np.int64)
    x = torch.from_numpy((images - images.mean()) / images.std()).unsqueeze(1)
    y = torch.from_numpy(labels)
    model = nn.Sequential(*block(1, 32), nn.MaxPool2d(2), *block(32, 64), nn.MaxPool2d(2), *block(64, 128),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    # One warm-up batch (allocators, kernels), not timed.
    loss_fn(model(x[:batch]), y[:batch]).backward()
    opt.zero_grad()
    order = torch.randperm(count)

    def run(start, n):
        begin = time.perf_counter()
        total_loss = 0.0
        for i in range(start, start + n, batch):
            idx = order[i:min(i + batch, start + n)]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(idx)
        seconds = time.perf_counter() - begin
        return {"samplesPerSec": n / seconds, "seconds": seconds, "threads": threads, "torch": torch.__version__,
                "params": params, "loss": total_loss / n}

    if not serve:
        print(json.dumps(run(0, count)))
        return
    print(json.dumps({"ready": True, "threads": threads, "torch": torch.__version__, "params": params}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) == 3 and words[0] == "train":
            start, n = int(words[1]), int(words[2])
            print(json.dumps(run(start, min(n, count - start))), flush=True)


if __name__ == "__main__":
    main()
