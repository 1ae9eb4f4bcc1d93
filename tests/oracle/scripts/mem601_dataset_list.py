"""MEM601: a Dataset holding 1,000,000 paths read from an index file as a Python list, read by a
DataLoader with 2 forked workers.

Reading an item writes its reference count: each worker ends up with private copies of
the pages the strings sit on. Usage: python mem601_dataset_list.py
"""

import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info

from oracle_observe import emit, private_dirty_mib

N = 1_000_000
BATCH = 20_000


class Paths(Dataset):
    def __init__(self, index):
        self.paths = [line.rstrip("\n") for line in open(index)]

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return len(self.paths[i])

    def __getitems__(self, indices):
        before = private_dirty_mib()
        total = sum(len(self.paths[i]) for i in indices)
        return [(total, get_worker_info().id, before, private_dirty_mib())]


def first(batch):
    return batch[0]


if __name__ == "__main__":
    with open("index.txt", "w") as f:
        f.writelines(f"/data/images/{i:012d}.jpg\n" for i in range(N))
    loader = DataLoader(Paths("index.txt"), batch_size=BATCH, num_workers=2, collate_fn=first,
                        multiprocessing_context="fork")
    batches = list(loader)
    growth = {}
    for _, worker, before, after in batches:
        low, high = growth.get(worker, (before, after))
        growth[worker] = (min(low, before), max(high, after))
    emit(total=sum(b[0] for b in batches),
         worker_growth_mib=[round(high - low, 1) for low, high in growth.values()],
         list_mib=N * 80 / 2**20)
