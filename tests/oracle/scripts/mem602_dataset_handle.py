"""MEM602: a Dataset opens its HDF5 file in `__init__`; a DataLoader starts 2 workers
with spawn (as Python 3.14's default, forkserver, would), which pickles the dataset.
Usage: python mem602_dataset_handle.py
"""

import h5py
import numpy as np
from torch.utils.data import DataLoader, Dataset

from oracle_observe import emit

PATH = "frames.h5"


class Frames(Dataset):
    def __init__(self, path):
        self.file = h5py.File(path, "r")

    def __len__(self):
        return len(self.file["x"])

    def __getitem__(self, i):
        return float(self.file["x"][i].sum())


def first(batch):
    return batch


if __name__ == "__main__":
    with h5py.File(PATH, "w") as f:
        f.create_dataset("x", data=np.arange(64 * 16, dtype="f8").reshape(64, 16))
    loader = DataLoader(Frames(PATH), batch_size=8, num_workers=2, collate_fn=first,
                        multiprocessing_context="spawn")
    try:
        sums = [s for batch in loader for s in batch]
        error = None
    except Exception as exc:  # what the loader raises as it starts its workers
        sums, error = None, f"{type(exc).__name__}: {exc}"
    emit(sums=sums, error=error)
