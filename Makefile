# tfcompress — set-up, demo, tests.
#   make demo   set up (apt + virtualenv) and run the default recipe end to end on the emulated board
#               (engine and TensorFlow Lite Micro side by side when TFLM_DIR or ../shared/tflm/cmsis-nn exists)
#   make test   set up and run the test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
PYTEST_ARGS ?=
# TensorFlow Lite Micro beside the engine in `make demo` when a TFLM tree (create_tflm_tree.py) is at hand
TFLM_DIR ?= $(wildcard ../shared/tflm/cmsis-nn)
comma := ,
DEMO_RUNTIME := $(if $(TFLM_DIR),--runtime engine$(comma)tflm --tflm-dir $(TFLM_DIR))

.PHONY: setup system-packages demo test test-all lint clean

setup: system-packages $(VENV)/.installed

system-packages:
	@missing=""; \
	command -v arm-none-eabi-gcc >/dev/null || missing="$$missing gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib"; \
	command -v qemu-system-arm >/dev/null || missing="$$missing qemu-system-arm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/tfcompress pipeline --recipe default --board mps2-an500 $(DEMO_RUNTIME)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test-all: setup
	$(BIN)/pytest -m "" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check tfcompress tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info
