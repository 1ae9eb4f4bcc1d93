"""One rule per module, named `mem<code>_<name>.py`; memlint.engine.registry finds them."""
