# AI Inbox tasks. `just run` and `just test` are the README's quick start.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The wasm-bindgen CLI must be the version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version := `sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock`
spa_dir := "target/spa"
wasm_opt := "frontend/node_modules/.bin/wasm-opt"
terser := "frontend/node_modules/.bin/terser"
# Run as root (CI) or through sudo for system packages.
sudo := if `id -u` == "0" { "" } else { "sudo" }

# List the recipes.
default:
    @just --list

# Build everything, migrate and seed the demo into SQLite, serve on http://127.0.0.1:8080.
run: spa
    cargo build -p inbox-api
    ./target/debug/inbox seed --demo
    @echo "Sign in at http://127.0.0.1:8080 as reviewer@demo.example with the password demo-reviewer."
    @token=$(./target/debug/inbox token create --location demo --scope actions:read --scope actions:propose --name "just run" | tail -n 1) \
        && echo "Try the API: curl -H 'Authorization: Bearer $token' 'http://127.0.0.1:8080/api/v1/actions?limit=5'"
    ./target/debug/inbox serve --spa-dir {{spa_dir}}

# Every check CI runs: formatting, lints, unit, property, integration and browser tests, and a
# smoke run of the benchmark.
test: spa browser smtp load
    cargo fmt --all -- --check
    python3 scripts/module_cycles.py
    cargo clippy --all-targets -- -D warnings
    cargo clippy -p inbox-frontend --target wasm32-unknown-unknown -- -D warnings
    cargo check -p inbox-domain --target wasm32-unknown-unknown
    cargo test
    cargo test -p inbox-frontend
    cargo build -p inbox-api
    npm --prefix frontend test
    python3 scripts/fuzz.py --examples 20
    python3 scripts/bench.py --smoke --binary target/debug/inbox

# Build the web app into target/spa (size-optimised: the wasm-release profile, then wasm-opt and
# terser). `wasm-split-cli` cuts the pages reached from the inbox (pages/lazy.rs) and the code
# behind a `#[lazy]` function into chunks of their own, fetched when first needed; wasm-bindgen
# then binds the main module.
spa: tools
    cargo build -p inbox-frontend --target wasm32-unknown-unknown --profile wasm-release
    rm -rf {{spa_dir}} && mkdir -p {{spa_dir}}/pkg
    wasm-split-cli --target web --out-name inbox \
        target/wasm32-unknown-unknown/wasm-release/inbox-frontend.wasm {{spa_dir}}/pkg
    wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir {{spa_dir}}/pkg --out-name inbox \
        {{spa_dir}}/pkg/inbox.wasm
    rm {{spa_dir}}/pkg/inbox.wasm
    if [ -x {{wasm_opt}} ]; then \
        for wasm in {{spa_dir}}/pkg/*.wasm; do \
            {{wasm_opt}} -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
                --enable-reference-types --enable-multivalue --enable-mutable-globals \
                "$wasm" -o "$wasm"; \
        done; \
    else echo "wasm-opt not installed (npm missing?): the app is unoptimised but works"; fi
    # wasm-bindgen's and wasm-split's JavaScript, minified (a quarter of its gzipped size).
    if [ -x {{terser}} ]; then \
        for js in {{spa_dir}}/pkg/*.js; do \
            {{terser}} "$js" --module --compress --mangle --output "$js.min" && mv "$js.min" "$js"; \
        done; \
    fi
    # The build's code goes under a folder named by its content, pkg/<hash>/, which browsers may
    # keep for good (the server says so). A tab still open on an earlier build then fetches that
    # build's chunks, or gets a 404 that stops it with a reload; it never gets a chunk of the
    # same name from another build (the shared chunks are chunk_12.wasm… in every build).
    # index.html and boot.js name the folder.
    build=$(find {{spa_dir}}/pkg -type f | sort | xargs cat | sha256sum | cut -c1-16) \
        && mv {{spa_dir}}/pkg {{spa_dir}}/$build && mkdir {{spa_dir}}/pkg && mv {{spa_dir}}/$build {{spa_dir}}/pkg/ \
        && sed "s|/pkg/inbox|/pkg/$build/inbox|g" frontend/index.html > {{spa_dir}}/index.html \
        && sed "s|/pkg/inbox|/pkg/$build/inbox|g" frontend/boot.js > {{spa_dir}}/boot.js
    cp frontend/style.css frontend/favicon.svg {{spa_dir}}/
    @echo "SPA, gzipped: $(gzip -9 -c {{spa_dir}}/pkg/*/inbox_bg.wasm | wc -c) bytes of WASM and $(cat {{spa_dir}}/pkg/*/*.js {{spa_dir}}/boot.js | gzip -9 | wc -c) of JavaScript on opening; $(for f in {{spa_dir}}/pkg/*/*.wasm; do [ "$(basename "$f")" = inbox_bg.wasm ] || gzip -9 -c "$f" | wc -c; done | awk "{ total += \$1 } END { print total }") of WASM in chunks: the split panel's, loaded behind the inbox, the bulk bar's, at the first selection, and each page's, on its first visit"

# Spec fuzzing at length: schemathesis with every check against the served OpenAPI document
# (`just test` runs 20 examples per operation; this 300). Installs schemathesis into
# target/fuzz-venv the first time.
fuzz examples="300":
    cargo build -p inbox-api
    python3 scripts/fuzz.py --examples {{examples}}

# The reliability suites at the size docs/reliability.md reports: 50 crash trials, the races,
# the outage and shutdown tests, and a long fuzzing run.
reliability: smtp
    INBOX_CRASH_TRIALS=50 cargo test -p inbox-api --test api -- crash races operations idempotency hostile_input --nocapture
    just fuzz 300

# Load the release server holding 1,000,000 actions, on PostgreSQL and SQLite, with wrk; prints
# the table and writes docs/benchmarks.md. Takes about half an hour.
bench: load
    cargo build --release -p inbox-api
    python3 scripts/bench.py --out docs/benchmarks.md

# Proposing, listing and bulk vs one-by-one review over HTTP on the demo data (cargo bench).
bench-review:
    RUST_LOG=warn cargo bench -p inbox-api --bench review_throughput

# Regenerate openapi/openapi.json from the code (a test fails while it is stale).
openapi:
    cargo run -q -p inbox-api -- openapi > openapi/openapi.json

# Install the build tools a fresh machine lacks: the wasm32 target, wasm-bindgen-cli, binaryen.
tools:
    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
    # Not --locked: the locked build of wasm-bindgen-cli fails on webpki-roots.
    [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" = "{{wasm_bindgen_version}}" ] \
        || cargo install wasm-bindgen-cli --version {{wasm_bindgen_version}}
    if command -v npm >/dev/null && { [ ! -x {{wasm_opt}} ] || [ ! -x {{terser}} ]; }; then npm --prefix frontend ci --no-audit --no-fund; fi
    # Splits the app's WASM at Leptos' lazy routes; the version that reads wasm_split_helpers 0.2.
    command -v wasm-split-cli >/dev/null \
        || cargo install --locked wasm_split_cli_support --version 0.2.3 --features build-binary

# Install the SMTP server the delivery tests send to: Python's aiosmtpd.
smtp:
    python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd

# Install the HTTP load generators the benchmark drives the server with: Debian's wrk (closed
# loop) and oha from crates.io (open loop, at a fixed rate).
load:
    command -v wrk >/dev/null || { {{sudo}} apt-get update && {{sudo}} apt-get install -y wrk; }
    command -v oha >/dev/null || cargo install oha --version 1.16.0 --locked --no-default-features --features native-tls

# Install what the browser tests need: Debian's Chromium and playwright-core.
browser:
    command -v chromium >/dev/null || { {{sudo}} apt-get update && {{sudo}} apt-get install -y chromium; }
    [ -d frontend/node_modules/playwright-core ] || npm --prefix frontend ci --no-audit --no-fund
