"""REST read models of the API gateway (SPEC §6, §7.6, §8): envelopes, errors and O4/O5 bodies."""
