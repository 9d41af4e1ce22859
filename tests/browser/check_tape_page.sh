#!/usr/bin/env bash
# Opens the tape explorer page in headless Chromium and checks, through the DOM after its script
# ran, that it drew one element per tape node, stepped through backward, and raised no script
# error; saves a screenshot beside the page. Usage: check_tape_page.sh MAKE_TAPE_PAGE OUT_DIR
set -euo pipefail
make_page=$1
out=$2
mkdir -p "$out"
page="$out/tape.html"
expected=$("$make_page" "$page")
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "FAIL: chromium is not installed (scripts/bootstrap --test installs it)" >&2
  exit 1
fi
flags=(--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$out/profile")
dom=$(timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$(realpath "$page")#steps=2" 2>/dev/null)
body=$(grep -o '<body[^>]*>' <<<"$dom" | head -1)
echo "body: $body"
fail() { echo "FAIL: $*" >&2; exit 1; }
grep -q 'data-ready="1"' <<<"$body" || fail "the page's script did not finish"
if grep -q 'data-errors=' <<<"$body"; then fail "script errors: $body"; fi
grep -q "data-nodes=\"$expected\"" <<<"$body" || fail "expected $expected node elements"
drawn=$(grep -o '<g class="node[^"]*" data-seq=' <<<"$dom" | wc -l)
[ "$drawn" -eq "$expected" ] || fail "drew $drawn node elements; the tape has $expected"
grep -q 'data-step="2"' <<<"$body" || fail "stepping through backward did not reach step 2"
grep -q 'class="node[^"]*running' <<<"$dom" || fail "no node is highlighted as running"
timeout 120 "$browser" "${flags[@]}" --window-size=1000,700 --screenshot="$out/tape.png" "file://$(realpath "$page")#steps=2" \
  >/dev/null 2>&1 || fail "the screenshot failed"
[ -s "$out/tape.png" ] || fail "empty screenshot"
echo "tape page: $expected nodes drawn, stepped to 2, no script errors; screenshot $out/tape.png"
echo "1 passed, 0 failed"
