# Two commands for a new user on Debian: `make demo` and `make test`.
# Both install what is missing first: Debian packages (Tesseract, Poppler, fonts and, for
# the tests, Chromium and LibreOffice Calc and Writer) and a virtual environment in .venv with the package and its deps.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_RUN := tesseract-ocr tesseract-ocr-eng wbritish poppler-utils fonts-dejavu-core \
           fonts-dkg-handwriting fonts-breip fonts-femkeklaver fonts-comic-neue
APT_TEST := chromium libreoffice-calc-nogui libreoffice-writer-nogui
DEMO_OUT ?= demo-results

.PHONY: demo test deps test-deps bench clean

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

$(BIN)/scan: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

deps: $(BIN)/scan
	$(call apt_install,$(APT_RUN))

test-deps: deps
	$(call apt_install,$(APT_TEST))

demo: deps
	$(BIN)/scan samples/*.pdf --out $(DEMO_OUT)
	$(BIN)/python bench/compare.py samples/truth $(DEMO_OUT)

test: test-deps
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -p no:cacheprovider

bench: deps
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/speed.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
