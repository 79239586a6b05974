from guard_ingest.main import run

run()
