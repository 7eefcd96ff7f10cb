#!/usr/bin/env bash
# kafka-agent bench's pictures, checked as files and in a real browser:
#   - bench produce --json --report --svg on the embedded mock: the JSON keeps every key it
#     had and adds settings, series, percentiles; the page has the throughput and latency
#     plots (polylines with points), the summary and settings tables, no script and
#     nothing fetched; the SVG parses as XML
#   - --compare a previous --json: overlaid dashed, named in the legend and the summary
#   - --sweep R1,R2,R3: a RESULT line per rate, the latency-throughput plot, the sweep table
#   - bench consume --report: the throughput plot
#   - bad --compare files and mismatched modes: exit 2 with the reason
#   - headless Chromium renders the page: a screenshot that is not blank and shows the
#     plots' line colours (PNG decoded here with zlib), and the DOM it rendered holds the
#     SVG plots
# Usage: test_agent_report.sh PATH/TO/kafka-agent
set -u
AGENT=$(realpath "${1:?usage: test_agent_report.sh kafka-agent}")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ $# -ge 2 ] && echo "  $2"; return 0; }
check() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi; }
# pycheck NAME PYTHON-CODE ARGS...: the code exits 0 (its output is the reason otherwise)
pycheck() {
    local name=$1 code=$2 out
    shift 2
    if out=$(python3 -c "$code" "$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

cd "$TMP" || exit 1
# ~1.5 s at the rate: progress points each second and the last part of one
timeout 60 "$AGENT" bench produce --mock=1 -t r -n 300000 -s 100 --rate 200000 --json --report a.html --svg a.svg \
    >a.json 2>a.err
check "bench produce --report: exit 0" 0 $?
pycheck "JSON: the old keys and the new ones" '
import json, sys
lines = [l for l in open("a.json") if l.startswith("{")]
o = json.loads(lines[-1])
for k in ("mode", "topic", "msgs", "size", "bytes", "wall_s", "msgs_per_s", "mb_per_s", "latency_ms", "delivered",
          "failed", "retries", "requests", "request_bytes", "connects", "rate_limit", "settings", "series",
          "percentiles", "sweep"):
    assert k in o, k
assert o["msgs"] == 300000 and o["delivered"] == 300000, o
assert len(o["series"]) >= 2, o["series"]
assert all(len(p) == 3 and p[1] > 0 for p in o["series"]), o["series"]
pc = o["percentiles"]
assert len(pc) >= 40 and pc[0][0] == 0 and pc[-1][0] > 99.99, pc[-3:]
assert all(a[1] <= b[1] for a, b in zip(pc, pc[1:])), "latency falls as the percentile rises"
assert o["settings"]["message size"] == "100 bytes" and o["settings"]["rate limit"] == "200000 msgs/s", o["settings"]
'
pycheck "page: plots, tables, self-contained" '
import re, sys
h = open("a.html").read()
svgs = re.findall(r"<svg [^>]*id=\"(\w+)\"", h)
assert svgs == ["throughput", "latency"], svgs
lines = re.findall(r"<polyline class=\"series\"[^>]* points=\"([^\"]*)\"", h)
assert len(lines) == 2 and all(len(l.split()) >= 2 for l in lines), lines
assert "<table id=\"summary\">" in h and "<table id=\"settings\">" in h
assert "<script" not in h.lower(), "a script"
refs = [u for u in re.findall(r"(?:src|href)=\"([^\"]*)\"", h)]
assert not refs, refs
assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", h), "an external address"
'
pycheck "SVG file: parses, both plots" '
import xml.etree.ElementTree as ET
t = ET.parse("a.svg")
ns = "{http://www.w3.org/2000/svg}"
assert len(t.getroot().findall(".//" + ns + "svg")) == 2
assert len(t.getroot().findall(".//" + ns + "polyline")) == 2
'

timeout 60 "$AGENT" bench produce --mock=1 -t r -n 200000 -s 50 --report b.html --compare a.json >b.out 2>b.err
check "--compare: exit 0" 0 $?
pycheck "--compare: dashed overlay, legend, summary column" '
import re
h = open("b.html").read()
assert "compared with a.json" in h
dashed = re.findall(r"<polyline class=\"series\"[^>]*stroke-dasharray[^>]*>", h)
assert len(dashed) == 2, len(dashed)
assert "msgs/s (a.json)" in h and "latency (a.json)" in h
assert re.search(r"<th>a.json</th><th>change</th>", h)
'

timeout 120 "$AGENT" bench produce --mock=1 -t r -n 40000 -s 100 --sweep 20000,40000,80000 --json --report s.html \
    >s.out 2>s.err
check "--sweep: exit 0" 0 $?
check "--sweep: a RESULT line per rate" 3 "$(grep -c '^RESULT mode=produce' s.out)"
check "--sweep: the last line is a RESULT line" RESULT "$(tail -1 s.out | cut -d' ' -f1)"
pycheck "--sweep: JSON steps and the plot" '
import json, re
o = json.loads([l for l in open("s.out") if l.startswith("{")][-1])
assert [s["rate"] for s in o["sweep"]] == [20000, 40000, 80000], o["sweep"]
assert all(s["msgs_per_s"] > 0 and s["p99_ms"] >= s["p50_ms"] for s in o["sweep"]), o["sweep"]
h = open("s.html").read()
assert re.findall(r"<svg [^>]*id=\"(\w+)\"", h) == ["throughput", "sweep"]
assert "<table id=\"sweep\">" in h
'

timeout 60 "$AGENT" bench consume --mock=1 -t c -n 200000 -s 100 --json --report c.html >c.out 2>c.err
check "bench consume --report: exit 0" 0 $?
pycheck "bench consume --report: the throughput plot" '
import json, re
h = open("c.html").read()
assert re.findall(r"<svg [^>]*id=\"(\w+)\"", h) == ["throughput"]
o = json.loads([l for l in open("c.out") if l.startswith("{")][-1])
assert o["mode"] == "consume" and o["msgs"] == 200000 and len(o["series"]) >= 1, o
'

echo 'not json' >bad.json
timeout 20 "$AGENT" bench produce --mock=1 -t r -n 10 --report x.html --compare bad.json >/dev/null 2>bad.err
check "--compare a file that is not a report: exit 2" 2 $?
grep -q "bad.json: no bench --json report in it" bad.err && pass "--compare a file that is not a report: says so" ||
    fail "--compare a file that is not a report: says so" "$(cat bad.err)"
timeout 20 "$AGENT" bench produce --mock=1 -t r -n 10 --report x.html --compare c.out >/dev/null 2>mode.err
check "--compare a consume report to produce: exit 2" 2 $?
grep -q "a bench consume report, this is bench produce" mode.err && pass "--compare mismatch: says so" ||
    fail "--compare mismatch: says so" "$(cat mode.err)"
timeout 20 "$AGENT" bench produce --mock=1 -t r -n 10 --compare a.json >/dev/null 2>nor.err
check "--compare without --report or --svg: exit 2" 2 $?
timeout 20 "$AGENT" bench produce --mock=1 -t r -n 10 --sweep 10,x >/dev/null 2>sw.err
check "--sweep with a bad rate: exit 2" 2 $?
timeout 20 "$AGENT" bench produce --mock=1 -t r -n 10 --report /nonexistent/dir/x.html >/dev/null 2>w.err
check "--report to a directory that does not exist: exit 2, before the run" 2 $?
grep -q -- "--report /nonexistent/dir/x.html: No such file or directory" w.err && pass "--report unwritable: says why" || fail "--report unwritable: says why" "$(cat w.err)"

# ---- a real browser ----
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    fail "headless Chromium: not installed (scripts/install-deps.sh installs Debian's chromium)"
else
    run_chromium() { # URL, then chromium's flags
        local url=$1
        shift
        timeout 90 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
            --user-data-dir="$TMP/profile" "$@" "$url" 2>>"$TMP/chromium.err"
    }
    run_chromium "file://$TMP/b.html" --window-size=1000,1400 --screenshot="$TMP/b.png" >/dev/null
    run_chromium "file://$TMP/b.html" --dump-dom >"$TMP/b.dom"
    pycheck "Chromium: the rendered DOM holds the plots" '
import re
d = open("b.dom").read()
assert len(re.findall(r"<svg [^>]*class=\"plot\"", d)) == 2, "svg plots"
assert len(re.findall(r"<polyline", d)) == 4, "lines"
'
    pycheck "Chromium: the screenshot shows the plots (not blank, the lines drawn)" '
import struct, sys, zlib
data = open("b.png", "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and ctype in (2, 6) and not interlace, (depth, ctype, interlace)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
px = [(r[i], r[i + 1], r[i + 2]) for r in rows for i in range(0, stride, bpp)]
white = sum(1 for p in px if p[0] > 240 and p[1] > 240 and p[2] > 240)
assert white < 0.97 * len(px), f"blank: {white}/{len(px)} white"
def near(c, p): return all(abs(a - b) < 40 for a, b in zip(c, p))
blue = sum(1 for p in px if near((0x1f, 0x6f, 0xb4), p))
green = sum(1 for p in px if near((0x2e, 0x8b, 0x57), p))
assert blue > 300 and green > 150, f"line pixels: blue {blue}, green {green}"
print(f"{blue} {green}")
'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
