from imgbackup.main import main

main()
