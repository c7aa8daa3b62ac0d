# dagmaster: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: install browser test demo lint bench clean

install: $(STAMP) $(NODE_STAMP) browser

# Debian's headless Chromium and its driver for the console's browser tests (no browser
# download); installed only when missing, as root, without prompts.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; else \
	  if [ "$$(id -u)" = 0 ]; then sudo=; elif sudo -n true 2>/dev/null; then sudo='sudo -n'; \
	  else echo 'chromium is missing: run `make browser` as root' >&2; exit 1; fi; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium chromium-driver fonts-dejavu-core >/dev/null; fi

test: install
	$(PY) -m pytest; status=$$?; [ $$status -eq 5 ] && echo 'pytest collected no tests' && exit 0; exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

demo: install
	$(PY) -m dagmaster.demo

clean:
	rm -rf $(VENV) node_modules .dagmaster
