# The two commands of the README, and a few helpers. Plain shell lives in scripts/.
.PHONY: setup demo test recordings

setup:
	./scripts/setup.sh

demo: setup
	./scripts/demo.sh

test:
	./scripts/test.sh

recordings: setup
	.venv/bin/python scripts/make_recordings.py
