"""The rule engine: parse once, dispatch to every enabled rule, suppress, fix, run over files."""
