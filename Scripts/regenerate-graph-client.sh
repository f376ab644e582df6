#!/usr/bin/env bash
# Regenerates Tests/GraphUsersClient from its openapi.yaml with swift-openapi-generator 1.14.3, built outside the
# project (the generator is not a dependency: its output is committed so CI never builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${GENERATOR_DIR:-/tmp/swift-openapi-generator}
[ -d "$work" ] || git clone -q https://github.com/apple/swift-openapi-generator.git "$work"
git -C "$work" checkout -q 1.14.3
(cd "$work" && swift build --product swift-openapi-generator)
cd Tests/GraphUsersClient
"$work/.build/debug/swift-openapi-generator" generate openapi.yaml --config openapi-generator-config.yaml --output-directory .
