from guard_notifier.main import run

run()
