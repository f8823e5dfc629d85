#!/usr/bin/env bash
# Installs what `make demo` (--demo), `make test` and `make bench` (--bench) need on
# a fresh Debian machine (Debian and PyPI packages only). Idempotent and quick when
# all is present.
set -euo pipefail

APT_PACKAGES=(libstb-dev)
PY=${PYTHON:-python3}

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pip_install() { "$PY" -m pip install -q --disable-pip-version-check "$@" 2>&1 | grep -v "Running pip as the 'root'" || true; }

# `make demo` (`install-deps.sh --demo`): numpy (the binding) and Pillow (the Python
# example reads the photo) only; the test and comparison packages are not needed.
if [ "${1:-}" = "--demo" ]; then
    "$PY" -c "import numpy, PIL" 2>/dev/null || pip_install numpy pillow
    exit 0
fi

# Python: numpy (binding), pytest and hypothesis (tests), Pillow (the Python example reads the photo).
"$PY" -c "import numpy, pytest, PIL, hypothesis" 2>/dev/null || pip_install numpy pytest pillow hypothesis

# Comparison frameworks for the tests. torch: the CPU wheel on disk when the machine
# has one (PyPI's default torch is the multi-GB CUDA build); else the tests skip torch.
if ! "$PY" -c "import torch" 2>/dev/null; then
    wheel=$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -n1 || true)
    if [ -n "$wheel" ]; then
        echo "install-deps: pip install $wheel"
        pip_install "$wheel"
    else
        echo "install-deps: no CPU torch wheel on this machine; torch comparisons will be skipped"
    fi
fi
"$PY" -c "import onnxruntime, onnx" 2>/dev/null || pip_install onnxruntime onnx || \
    echo "install-deps: onnxruntime/onnx unavailable; ONNX Runtime comparisons will be skipped"

# Bench step (`make bench` runs `install-deps.sh --bench`): matplotlib draws the chart.
if [ "${1:-}" = "--bench" ]; then
    "$PY" -c "import matplotlib" 2>/dev/null || pip_install matplotlib || \
        echo "install-deps: matplotlib unavailable; bench/bench.py will skip the chart"
fi
# Extended checks (`make test-extended` runs `install-deps.sh --extended`): valgrind.
if [ "${1:-}" = "--extended" ] && ! command -v valgrind >/dev/null 2>&1; then
    echo "install-deps: apt-get install valgrind"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null || \
        echo "install-deps: valgrind unavailable; make test-valgrind will fail"
fi
exit 0
