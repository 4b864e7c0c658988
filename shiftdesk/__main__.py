from shiftdesk.cli import main

main()
