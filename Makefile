# Two commands for a fresh machine: `make run` and `make test` (README).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
WHISPER := openai-whisper==20250625

.PHONY: install system-deps run worker test lint check bench loadbench lock clean

install: $(VENV)/.installed

# whisper is installed without its dependencies: we only need its bundled GPT-2
# BPE ranks (gpt2.tiktoken) to build tiktoken's "gpt2" encoding offline.
$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps $(WHISPER)
	@touch $@

# Debian packages the sandbox and the browser tests need (root, as on CI).
system-deps:
	@missing=""; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install system-deps
	./bin/run-dev

test: install system-deps
	./bin/run-tests

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

bench: install
	./bin/bench

# wrk against gunicorn + PostgreSQL on loopback; bin/loadbench installs wrk if missing.
loadbench: install
	./bin/loadbench

lock:
	$(PY) -m pip freeze | grep -vi '^openai-whisper' | sed 's/^torch==2.13.0+cpu$$/torch==2.13.0/' > requirements.txt

clean:
	rm -rf var
