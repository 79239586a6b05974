"""L3: the notifier's use cases: apply a batch of changes and commands; send what is due."""
