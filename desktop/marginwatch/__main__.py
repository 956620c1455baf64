from marginwatch.app import main

raise SystemExit(main())
