#!/bin/sh
# Builds the wall screen's shipped Chinese font (dashboards/web/assets/fonts/*.woff2) from
# Debian's Noto Sans CJK, so the screen reads on a machine with no Chinese font installed.
#
# The font is Noto Sans CJK SC (SIL Open Font License 1.1; the licence is
# assets/fonts/OFL.txt), Regular and Bold, cut to:
#   - the 7445 characters of GB 2312 (all of its rows: hanzi levels 1 and 2, symbols,
#     full-width forms);
#   - printable ASCII, Latin-1, general punctuation and the minus sign;
#   - every non-ASCII character in the repository's tracked source (not tests): the page's
#     own text (assets/*.js, *.html, *.css), the messages and notes the server writes
#     (alerts, timeline notes, calendar names: *.go, *.yaml) and the demo district's
#     department and matter names (collectors/simulate/district.yaml).
# The list is written to fonts/chars.txt; a unit test (TestShippedFontCoversTheText) fails
# when new source text has a character the list lacks — run this script again then.
#
# Hinting and the layout features a horizontal Chinese page does not use are dropped (vertical
# forms, proportional alternates, and `locl`, which would keep the Japanese, Korean and
# traditional glyph variants): about 1.1 MB a weight instead of 2.5 MB. The output is
# byte-for-byte the same on every run with the same inputs.
#
# Needs Debian's fonts-noto-cjk, python3-fonttools and python3-brotli:
#   apt-get install -y fonts-noto-cjk python3-fonttools python3-brotli
# Run from anywhere: sh dashboards/web/fonts/build.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out="$repo/dashboards/web/assets/fonts"
src=${NOTO_CJK_DIR:-/usr/share/fonts/opentype/noto}
py=${PYTHON:-/usr/bin/python3} # Debian's, which has fontTools and brotli

for f in "$src/NotoSansCJK-Regular.ttc" "$src/NotoSansCJK-Bold.ttc"; do
	[ -f "$f" ] || { echo "missing $f: apt-get install -y fonts-noto-cjk" >&2; exit 1; }
done

# The character list, sorted, 64 characters a line.
cd "$repo"
git ls-files -- '*.go' '*.js' '*.html' '*.css' '*.yaml' | grep -v '_test\.go$' |
	"$py" -c '
import sys
chars = set()
for hi in range(0xA1, 0xF8):  # GB 2312: rows A1-F7, cells A1-FE
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
for r in [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203A), (0x2212, 0x2212)]:
    chars.update(chr(c) for c in range(r[0], r[1] + 1))
for name in sys.stdin.read().split():
    with open(name, encoding="utf-8") as f:
        chars.update(c for c in f.read() if ord(c) >= 0x80)
s = "".join(sorted(c for c in chars if ord(c) >= 0x20))
sys.stdout.write("".join(s[i:i + 64] + "\n" for i in range(0, len(s), 64)))
' >"$here/chars.txt"

# Face 2 of each collection is Noto Sans CJK SC.
for w in Regular:regular Bold:bold; do
	"$py" -m fontTools.subset "$src/NotoSansCJK-${w%%:*}.ttc" --font-number=2 \
		--text-file="$here/chars.txt" --layout-features='ccmp,kern,liga' \
		--no-hinting --desubroutinize --name-IDs='*' --flavor=woff2 \
		--output-file="$out/noto-sans-sc-${w##*:}.woff2"
done
ls -l "$out"/*.woff2
