#!/usr/bin/env bash
# The console's vendored front-end libraries, as built files with their licences: run this
# (it needs npm) to refresh them; `cargo build` only embeds what is here and never needs Node.
#   uPlot (MIT, https://github.com/leeoniya/uPlot): the migration and metrics charts.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent uplot@1.6.31 >/dev/null && tar xzf uplot-1.6.31.tgz)
cp "$tmp/package/dist/uPlot.iife.min.js" uplot.iife.min.js
cp "$tmp/package/dist/uPlot.min.css" uplot.min.css
cp "$tmp/package/LICENSE" uplot.LICENSE
