"""`check_source` and `fix_source` with MEM101 configured as a library would
(`require-sink = false`: a reshape is reported whether or not it reaches joblib in the
module), for the tests that use a reshape as their sample finding."""

from __future__ import annotations

from memlint import api

LIBRARY = {"MEM101": {"require-sink": False}}


def check_source(source, *args, **kw):
    kw.setdefault("options", LIBRARY)
    return api.check_source(source, *args, **kw)


def fix_source(source, *args, **kw):
    kw.setdefault("options", LIBRARY)
    return api.fix_source(source, *args, **kw)
