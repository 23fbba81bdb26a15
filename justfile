# Understudy tasks. `just --list` shows them.

# Run the simulator with every device on its default port.
sim *FLAGS:
    cargo run --release -p understudy-sim -- {{FLAGS}}

# The test command: unit, socket, conformance (against the in-process simulator) and snapshot tests.
test:
    cargo test --workspace

# Check a physical device, e.g. `just check endrpi=ws://10.0.0.7:5000/`.
check TARGET *FLAGS:
    cargo run --release -p understudy-conformance --bin understudy-check -- --target {{TARGET}} {{FLAGS}}

# Check the suite against the real Endrpi server from PyPI (installs it into a throwaway venv).
check-real-endrpi:
    scripts/check-real-endrpi.sh

# Load benches (criterion), each beside a bare tokio-tungstenite baseline measured in the same run.
bench:
    cargo bench -p understudy-benches

# Review snapshot changes one by one (needs cargo-insta).
review:
    cargo insta review

# Formatting and lints.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# What CI runs.
ci:
    bash .ci/run
