from guard_exporter.main import main

main()
