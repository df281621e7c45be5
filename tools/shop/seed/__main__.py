"""`python -m tools.shop.seed`: migrate and seed the shop database (see `tools.shop.seed.cli`)."""

from tools.shop.seed.cli import main

raise SystemExit(main())
