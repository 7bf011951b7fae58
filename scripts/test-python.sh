#!/usr/bin/env bash
# The Python package's tests, from a fresh machine: a virtual environment under
# target/py-venv with the pinned tools of python/requirements-dev.txt, the wheel built by
# maturin from crates/creditlab-py and installed into it, then mypy (strict) on the package,
# its tests and docs/python_example.py, and pytest. Run by scripts/test.sh (and so CI).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=target/py-venv

# Debian's python3 ships without venv/ensurepip; install it when we can (CI runs as root).
if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        apt-get install -y -qq python3-venv
    else
        echo "test-python.sh: $PYTHON has no venv module; install python3-venv" >&2
        exit 1
    fi
fi
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r python/requirements-dev.txt

# The wheel (abi3, extension-module on), installed into the venv.
rm -rf target/wheels
(cd python && VIRTUAL_ENV="$PWD/../$VENV" "../$VENV/bin/maturin" build --release --locked \
    --out ../target/wheels --quiet)
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
    --no-deps target/wheels/creditlab-*.whl

# The tests compare with the command line: the xtask binary `cargo test` already built
# (target/debug), else a release one on the release build maturin just made.
if [ ! -x target/debug/xtask ] && [ ! -x target/release/xtask ]; then
    cargo build --quiet --release --locked -p xtask
fi

(cd python && "../$VENV/bin/python" -m mypy)
# From the root, so `import creditlab` is the installed wheel, not python/creditlab.
"$VENV/bin/pytest" -q -p no:cacheprovider python/tests
