"""Pure business rules that more than one Guard service needs, each written once.

Imports only the standard library and ``guard_contracts`` (checked by import-linter); no I/O, no
framework. See ``docs/adr/0006-shared-rules-library.md`` for why it exists and what belongs here.
"""
