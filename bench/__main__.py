"""Entry point of `python -m bench`; see `bench/__init__.py` and `bench/run.py`."""

from bench.run import main

raise SystemExit(main())
