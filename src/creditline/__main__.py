from creditline.cli.main import main

main()
