#!/usr/bin/env bash
# The installs a user would try, checked the way a user would see them (CI runs this through
# `./dev.sh package`):
#
#   1. build the sdist, then the wheel from the sdist (`python -m build`), and a wheel straight
#      from the checkout: both wheels hold the same files; the sdist carries the whole test suite;
#   2. install the wheel into a fresh virtual environment (not editable, not the dev one: what
#      `pipx install` gives) and, from a folder outside the checkout:
#      - `anchordesk --version`;
#      - `anchordesk live --camera test --mic test --seconds 3 --record x.mkv`, checked with
#        ffprobe (H.264 + AAC, about 3 s);
#      - the window offscreen with LANG=zh_CN.UTF-8: Chinese menus and the sample products
#        (packaging/smoke_window.py);
#      - `anchordesk desktop install` into a scratch folder, then desktop-file-validate on the
#        result and appstreamcli on the metainfo.
#   3. print the figures: sdist and wheel sizes, install time, installed size.
#
# Every user folder (config, data, state, videos) points into a scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
VENV=${ANCHORDESK_VENV:-.venv}
PYTHON=${PYTHON:-python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package smoke test FAILED: $*" >&2; exit 1; }
step() { printf '== %s\n' "$*"; }
seconds_since() { echo "$(( $(date +%s%N) / 1000000 - $1 ))" | awk '{printf "%.1f", $1 / 1000}'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

step "build: sdist, wheel from the sdist, wheel from the checkout"
"$VENV/bin/pip" show -q build >/dev/null 2>&1 || "$VENV/bin/pip" install -q -c constraints.txt build
started=$(now_ms)
"$VENV/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; fail "python -m build"; }
echo "   built in $(seconds_since "$started") s"
sdist=$(ls "$work"/dist/anchordesk-*.tar.gz)
wheel=$(ls "$work"/dist/anchordesk-*.whl)
"$VENV/bin/pip" wheel -q --no-deps -w "$work/direct" . >"$work/direct.log" 2>&1 \
  || { tail -40 "$work/direct.log"; fail "pip wheel ."; }
list_wheel() { "$VENV/bin/python" -c "import sys, zipfile; print('\n'.join(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if '.dist-info/' not in n)))" "$1"; }
diff <(list_wheel "$wheel") <(list_wheel "$work"/direct/anchordesk-*.whl) >"$work/wheel.diff" \
  || { cat "$work/wheel.diff"; fail "the wheel built from the sdist differs from the checkout's"; }
# The listing goes to a file first: `list_wheel | grep -q` under pipefail failed at random when
# grep stopped reading early (BrokenPipeError in the lister).
list_wheel "$wheel" >"$work/wheel.files"
for must in anchordesk/resources/shows/zh/show.json anchordesk/resources/show.schema.json \
    anchordesk/translations/anchordesk_zh_CN.qm anchordesk/translations/anchordesk_ja.qm \
    anchordesk/translations/anchordesk_en.qm \
    anchordesk/resources/icons/hicolor/256x256/apps/io.github.anchordesk.AnchorDesk.png \
    anchordesk/resources/desktop/io.github.anchordesk.AnchorDesk.desktop \
    anchordesk/control/web/index.html anchordesk/control/web/app.js \
    anchordesk/control/web/i18n.js anchordesk/control/web/style.css; do
  grep -qx "$must" "$work/wheel.files" || fail "the wheel lacks $must"
done
tests_in_repo=$(git ls-files tests | grep -c . || true)
tests_in_sdist=$(tar tzf "$sdist" | grep -c '^anchordesk-[^/]*/tests/.*[^/]$' || true)
[ "$tests_in_sdist" -ge "$tests_in_repo" ] \
  || fail "the sdist carries $tests_in_sdist test files, the repository $tests_in_repo"
echo "   wheel $(du -k "$wheel" | cut -f1) KB, sdist $(du -k "$sdist" | cut -f1) KB," \
  "same files either way; sdist carries all $tests_in_repo test files"

step "install the wheel into a fresh virtual environment"
"$PYTHON" -m venv "$work/venv"
started=$(now_ms)
"$work/venv/bin/pip" install -q "$wheel" >"$work/install.log" 2>&1 \
  || { tail -40 "$work/install.log"; fail "pip install of the wheel"; }
echo "   installed in $(seconds_since "$started") s (pip's download cache warm);" \
  "the environment is $(du -sm "$work/venv" | cut -f1) MB"

run_dir="$work/user"
mkdir -p "$run_dir"/{config,data,cache,state,videos,share,runtime}
chmod 700 "$run_dir/runtime"
export XDG_CONFIG_HOME="$run_dir/config" XDG_DATA_HOME="$run_dir/share" \
  XDG_CACHE_HOME="$run_dir/cache" XDG_STATE_HOME="$run_dir/state" \
  XDG_VIDEOS_DIR="$run_dir/videos" XDG_RUNTIME_DIR="$run_dir/runtime" QT_QPA_PLATFORM=offscreen
cd "$run_dir"  # nothing of the checkout is importable from here
app="$work/venv/bin/anchordesk"

step "anchordesk --version"
"$app" --version | sed 's/^/   /' || fail "--version"

step "anchordesk live: 3 s of test pattern and tone into x.mkv"
"$app" live --camera test --mic test --seconds 3 --record x.mkv >live.log 2>&1 \
  || { cat live.log; fail "anchordesk live"; }
codecs=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 x.mkv | sort | tr '\n' ' ')
duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 x.mkv)
[ "$codecs" = "aac h264 " ] || fail "x.mkv holds '$codecs', not H.264 + AAC"
awk -v d="$duration" 'BEGIN { exit !(d > 2.8 && d < 3.3) }' || fail "x.mkv lasts $duration s"
echo "   x.mkv: $codecs, $duration s"

step "anchordesk live --control: the web remote and the API from the installed wheel"
port=$("$work/venv/bin/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
ANCHORDESK_CONTROL_TOKEN=smoke-test-token-0123456789 "$app" live --camera test --mic none \
  --seconds 8 --record "$run_dir/control.mkv" --control "127.0.0.1:$port" \
  >control.log 2>&1 &
control_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/" -o remote.html && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/static/app.js" -o remote.js || fail "/static/app.js"
state=$(curl -sf -H "Authorization: Bearer smoke-test-token-0123456789" \
  "http://127.0.0.1:$port/api/v1/state") || { cat control.log; fail "/api/v1/state"; }
wait "$control_pid" || { cat control.log; fail "anchordesk live --control"; }
grep -q "/static/app.js" remote.html || fail "the web remote's page"
echo "$state" | grep -q '"stats"' || fail "the state: $state"
echo "   / $(wc -c <remote.html) B, app.js $(wc -c <remote.js) B, /api/v1/state answered"

step "the window in Chinese on the embedded sample show"
LANG=zh_CN.UTF-8 LANGUAGE=zh_CN "$work/venv/bin/python" "$REPO/packaging/smoke_window.py" \
  2>"$run_dir/window.err" | sed 's/^/   /' || { cat "$run_dir/window.err"; fail "window"; }

step "anchordesk desktop install, then the validators"
"$app" desktop install >/dev/null || fail "desktop install"
desktop_file="$XDG_DATA_HOME/applications/io.github.anchordesk.AnchorDesk.desktop"
desktop-file-validate "$desktop_file" || fail "desktop-file-validate on the installed entry"
echo "   desktop-file-validate $(basename "$desktop_file"): no message"
appstreamcli validate --pedantic --no-net \
  "$XDG_DATA_HOME/metainfo/io.github.anchordesk.AnchorDesk.metainfo.xml" | sed 's/^/   /' \
  || fail "appstreamcli validate"
grep -q "application/x-anchordesk-show+json:\*.show.json" "$XDG_DATA_HOME/mime/globs2" \
  || fail "the MIME type is not in the user's MIME database"
echo "package smoke test passed"
