"""REST read models of the API gateway (docs/product/rest-api.md#incidents): envelopes, errors and O4/O5 bodies."""
