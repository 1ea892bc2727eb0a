#!/bin/sh
# Rebuild static/js/plotly-<version>-kwaliteit.min.js and its .gz/.br copies (issue 16, "light plotly").
#
# Why a bundle of our own: the dashboards draw scatter, bar, heatmap and treemap. plotly's smallest
# official partial bundle with a treemap is the "strict" one (nearly the full 4.8 MB); cartesian
# (1.5 MB) has no treemap. This is plotly's own recipe for a partial bundle (lib/index-cartesian.js:
# core + Plotly.register), built with the esbuild options of plotly.js's esbuild-config.js.
#
# Why the .gz/.br copies are committed: WhiteNoise never compresses on the fly. In production
# collectstatic compresses every file; `make demo` (DEBUG, files served from static/ through the
# finders) gets them only from copies beside the file. tests/kwaliteit/test_static_serving.py checks
# that they are this file's bytes.
#
# Needs node/npm (the npm registry) and the project's .venv (WhiteNoise's compressor).
# Usage: sh vendor/plotly/build.sh   (from the repository root)
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/vendor/plotly"
VERSION="$(node -p "require('$HERE/package.json').dependencies['plotly.js']")"
ESBUILD="$(node -p "require('$HERE/package.json').dependencies['esbuild']")"
OUT="$ROOT/static/js/plotly-$VERSION-kwaliteit.min.js"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cp "$HERE/package.json" "$HERE/package-lock.json" "$HERE/index-kwaliteit.js" "$WORK/"
# --ignore-scripts: esbuild's binary comes in its @esbuild/<platform> package; no install script runs.
(cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --silent)
BANNER="/**
* plotly.js v$VERSION (minified), Kwaliteitsagenda partial bundle. traces: bar, heatmap, scatter, treemap
* Built from the npm packages plotly.js@$VERSION and esbuild@$ESBUILD by vendor/plotly/build.sh
* Copyright 2012-2026, Plotly, Inc. All rights reserved. Licensed under the MIT license
*/"
# The options of plotly.js's esbuild-config.js. A CSS import (maplibre's, for map traces only, which
# this bundle does not register) becomes an empty module.
(cd "$WORK" && ./node_modules/.bin/esbuild index-kwaliteit.js --bundle --minify --format=iife \
    --global-name=Plotly --target=es2016 --define:global=window --define:define.amd=false \
    --define:process.env.NODE_DEBUG=false --alias:stream=stream-browserify --alias:regl=@plotly/regl \
    --loader:.css=empty --log-level=warning "--banner:js=$BANNER" --outfile=out.js)
cp "$WORK/out.js" "$OUT"
rm -f "$OUT.gz" "$OUT.br"
"$ROOT/.venv/bin/python" -c "import sys; from whitenoise.compress import Compressor; Compressor(quiet=True).compress(sys.argv[1])" "$OUT"
ls -l "$OUT" "$OUT.gz" "$OUT.br"
sha256sum "$OUT"
