"""Hostile variants of source files: what a fuzzer feeds memlint. Used by the fuzz tier of
the test suite (tests/fuzz/test_fuzz.py) and by the larger run over real code
(benchmarks/fuzz.py). Deterministic for a given random.Random."""

from __future__ import annotations

import codecs
import random
from typing import Callable, Iterator

BOM = codecs.BOM_UTF8


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def _at_line(text: str, rng: random.Random, insert: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines) + 1)
    return "".join(lines[:i] + [insert] + lines[i:])


def deep_nesting(text: str, rng: random.Random) -> str:
    n = rng.choice([150, 199, 250, 1_000, 3_000, 5_000])
    opener, closer = rng.choice([("(", ")"), ("[", "]"), ("{", "}")])
    tail = closer * n if rng.random() < 0.8 else ""  # sometimes never closed
    return _at_line(text, rng, f"nested = {opener * n}1{tail}\n")


def long_chain(text: str, rng: random.Random) -> str:
    n = rng.choice([500, 2_000, 20_000, 100_000])
    link = rng.choice([" + a", ".b", "()", " if c else d", "[0]"])
    return _at_line(text, rng, "chained = a" + link * n + "\n")


def boms(text: str, rng: random.Random) -> bytes:
    return BOM * rng.choice([1, 1, 2]) + text.encode("utf-8")


def cookie(text: str, rng: random.Random) -> bytes:
    encoding = rng.choice(["latin-1", "cp1252", "utf-8", "iso-8859-15"])
    head = rng.choice(["# -*- coding: {} -*-\n", "# vim: set fileencoding={} :\n", "#!/usr/bin/env python\n# coding={}\n"])
    body = (head.format(encoding) + "# caf\xe9 \xe0 la cr\xe8me\n" + text)
    data = body.encode(encoding, "replace")
    return (BOM + data) if rng.random() < 0.2 else data


def crlf(text: str, rng: random.Random) -> str:
    newline = rng.choice(["\r\n", "\r"])
    return text.replace("\n", newline)


def nul(text: str, rng: random.Random) -> bytes:
    data = text.encode("utf-8")
    i = rng.randrange(len(data) + 1)
    return data[:i] + b"\x00" + data[i:]


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def lone_backslash(text: str, rng: random.Random) -> str:
    return _at_line(text, rng, "\\\n")


def no_final_newline(text: str, rng: random.Random) -> str:
    return text.rstrip("\r\n")


def tabs_and_form_feeds(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines[i] = "\f" + lines[i]
    return "".join(lines).replace("    ", "\t", rng.randrange(3))


def duplicate_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    return "".join(lines[: i + 1] + lines[i:])


def huge_literal(text: str, rng: random.Random) -> str:
    n = rng.choice([5_000, 30_000])
    return _at_line(text, rng, "TABLE = [" + ", ".join(str(i * 0.5) for i in range(n)) + "]\n")


def unicode_names(text: str, rng: random.Random) -> str:
    return _at_line(text, rng, "données = 1  # é 🚀\nπ = données * 2\n")


def noqa_comments(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    comment = rng.choice(["  # noqa", "  # noqa: MEM101", "  # memlint: ignore[MEM203]", "  # noqa:"])
    lines[i] = lines[i].rstrip("\r\n") + comment + "\n"
    return "".join(lines)


MUTATIONS: dict[str, Callable[[str, random.Random], str | bytes]] = {
    f.__name__: f for f in (
        deep_nesting, long_chain, boms, cookie, crlf, nul, truncate, lone_backslash,
        no_final_newline, tabs_and_form_feeds, duplicate_lines, huge_literal, unicode_names,
        noqa_comments,
    )
}


def variants(seeds: list[str], rng: random.Random, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` (name, bytes) variants of the seed sources: each one to three mutations."""
    names = sorted(MUTATIONS)
    for i in range(count):
        text = rng.choice(seeds)
        applied = rng.sample(names, rng.choice([1, 1, 2, 3]))
        data: str | bytes = text
        for name in applied:
            if isinstance(data, bytes):
                break  # an encoding was chosen: later text mutations would undo it
            data = MUTATIONS[name](data, rng)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        yield f"case{i:04d}_{'_'.join(applied)}", data


def rule_examples() -> list[str]:
    """The sources of every rule's invalid examples: each holds what a rule reports."""
    from memlint.engine.registry import all_rules

    return [ex.source for rule in all_rules().values() for ex in getattr(rule, "invalid", ())]
