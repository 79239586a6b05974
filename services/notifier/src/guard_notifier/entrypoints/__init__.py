"""L2: the Kafka subscriber of the notifier (its HTTP surface is the ops app)."""
