"""Latency of `memlint server`: the time from `didChange` to the diagnostics published for
that version, for a 200-line and a 2,000-line file with findings, and the server's
start-up (spawn to the `initialize` answer, and to the first diagnostics).

    python benchmarks/lsp_latency.py [--edits 20]

Not a test: it prints figures (the goals are in docs/benchmarks.md). Needs the lsp extra.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parents[1]

HEADER = """import numpy as np
import dask.array as da
from joblib import Parallel, delayed


"""
# About 20 lines: a memmap reshaped and handed to joblib (MEM101), a memmap handed to dask
# (MEM201), and plain code around them.
BLOCK = '''def load_{i}(path, n):
    data = np.memmap(path, dtype="f8", mode="r").reshape(n, 3)
    rows = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))
    return rows


def stack_{i}(path):
    raw = np.memmap(path, dtype="f4", mode="r")
    return da.from_array(raw, chunks=1000)


def plain_{i}(values):
    total = 0
    for v in values:
        if v % 2:
            total += v * 2
        else:
            total -= v
    return total

'''


def source(lines: int) -> str:
    blocks = max(1, (lines - HEADER.count("\n")) // BLOCK.count("\n"))
    return HEADER + "".join(BLOCK.format(i=i) for i in range(blocks))


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("memlint-latency", "1")
        self.published: dict[tuple[str, int | None], float] = {}
        self.arrived = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri, params.version] = time.perf_counter()
            self.arrived.set()

    async def published_for(self, uri: str, version: int) -> float:
        while (uri, version) not in self.published:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 60)
        return self.published[uri, version]


async def measure(edits: int) -> None:
    root = Path(tempfile.mkdtemp())
    (root / "pyproject.toml").write_text('[tool.memlint.versions]\njoblib = "1.4.2"\ndask = "2024.5.0"\n')
    client = Client()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    spawned = time.perf_counter()
    await client.start_io(sys.executable, "-m", "memlint", "server", env=env)
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         root_uri=root.as_uri()))
    initialized = time.perf_counter()
    client.initialized(types.InitializedParams())
    small = root / "start.py"
    uri = small.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=source(20))))
    first = await client.published_for(uri, 1)
    print(f"start-up: initialize answered after {(initialized - spawned) * 1000:.0f} ms, "
          f"first diagnostics after {(first - spawned) * 1000:.0f} ms")

    for lines in (200, 2000):
        text = source(lines)
        path = root / f"lines{lines}.py"
        uri = path.as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=text)))
        await client.published_for(uri, 1)
        times = []
        for version in range(2, edits + 2):
            # An edit in the middle of the file, as typing there makes it.
            edited = text.replace("total = 0", f"total = {version}", 1)
            sent = time.perf_counter()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)]))
            times.append((await client.published_for(uri, version)) - sent)
        times.sort()
        median = statistics.median(times) * 1000
        p90 = times[int(len(times) * 0.9) - 1] * 1000
        print(f"{text.count(chr(10))} lines: didChange to diagnostics median {median:.0f} ms, p90 {p90:.0f} ms "
              f"({edits} edits)")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    asyncio.run(measure(parser.parse_args().edits))


if __name__ == "__main__":
    main()
