#!/usr/bin/env bash
# Draws KSeF Desk's icons with ImageMagick (no downloads): a rounded blue square with "K".
# Tauri needs RGBA PNGs, hence the PNG32: prefix. Run from anywhere; writes next to this script.
set -euo pipefail
cd "$(dirname "$0")"
draw() { # size output
  local s=$1 r=$(( $1 / 6 )) f=$(( $1 * 11 / 16 ))
  convert -size "${s}x${s}" xc:none -fill '#1d4ed8' \
    -draw "roundrectangle 0,0,$((s - 1)),$((s - 1)),$r,$r" \
    -fill white -font DejaVu-Sans-Bold -pointsize "$f" -gravity center -annotate +0+0 'K' \
    "PNG32:$2"
}
draw 32 32x32.png
draw 128 128x128.png
draw 256 128x128@2x.png
draw 512 icon.png
convert icon.png -define icon:auto-resize=256,128,64,48,32,16 icon.ico
