"""Pure rules of the notifier (L5): which changes a channel wants, what a message says, the
flood window, and how an HTTP answer is judged. No I/O, no framework."""
