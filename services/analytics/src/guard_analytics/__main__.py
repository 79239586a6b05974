from guard_analytics.main import run

run()
