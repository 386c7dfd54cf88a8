# The two commands of the README, and a few helpers. Plain shell lives in scripts/.
.PHONY: setup demo demo-distributed test recordings

setup:
	./scripts/setup.sh

demo: setup
	./scripts/demo.sh

demo-distributed: setup
	./scripts/demo_distributed.sh

test:
	./scripts/test.sh

recordings: setup
	.venv/bin/python scripts/make_recordings.py
