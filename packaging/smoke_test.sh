#!/usr/bin/env bash
# Build the one-folder app with PyInstaller from the wheel, write its THIRD-PARTY-NOTICES, and
# check that the built program comes up.
#
#   packaging/smoke_test.sh            # build, then test dist/anchordesk
#   packaging/smoke_test.sh --no-build # test an existing dist/anchordesk
#
# The build venv (build/frozen-venv) holds the wheel and the versions of constraints.txt, plus
# PyInstaller: never the editable checkout, so the bundle collects exactly what a user's
# install holds. Checks: --version; the translations and the sample shows are in the bundle;
# `show check` on the bundled sample; the window started offscreen stays up for SMOKE_SECONDS
# with no traceback; the notices name Qt, FFmpeg and x264.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ANCHORDESK_VENV:-.venv}
BUILD_VENV=build/frozen-venv
SMOKE_SECONDS=${SMOKE_SECONDS:-8}
APP=dist/anchordesk/anchordesk

if [ "${1:-}" != "--no-build" ]; then
  rm -rf build/wheel "$BUILD_VENV" dist/anchordesk
  "$VENV/bin/pip" wheel -q --no-deps -w build/wheel .
  python3 -m venv "$BUILD_VENV"
  "$BUILD_VENV/bin/pip" install -q -c constraints.txt build/wheel/anchordesk-*.whl pyinstaller
  (cd build && "../$BUILD_VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath ../dist --workpath pyinstaller ../packaging/anchordesk.spec)
  "$BUILD_VENV/bin/python" packaging/third_party_notices.py dist/anchordesk \
    >dist/anchordesk/THIRD-PARTY-NOTICES.txt
  cp LICENSE dist/anchordesk/LICENSE
fi

fail() { echo "smoke test FAILED: $*" >&2; exit 1; }
[ -x "$APP" ] || fail "$APP was not built"
for must in "Qt" "av " "libx264" "opencv-python-headless" "GNU GENERAL PUBLIC LICENSE"; do
  grep -q "$must" dist/anchordesk/THIRD-PARTY-NOTICES.txt || fail "the notices lack '$must'"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Keep the user's own settings and keyring out of it.
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache"
export XDG_STATE_HOME="$work/state" XDG_VIDEOS_DIR="$work/videos" HOME="$work/home"
export XDG_RUNTIME_DIR="$work/runtime" QT_QPA_PLATFORM=offscreen
mkdir -p "$XDG_RUNTIME_DIR" "$HOME" && chmod 700 "$XDG_RUNTIME_DIR"

version=$("$APP" --version) || fail "--version exited with $?"
echo "built: $version"

bundle=$(dirname "$APP")/_internal
[ -d "$bundle" ] || bundle=$(dirname "$APP")
ls "$bundle"/anchordesk/translations/anchordesk_zh_CN.qm >/dev/null 2>&1 \
  || fail "compiled translations not bundled"
sample="$bundle/anchordesk/resources/shows/zh/show.json"
[ -f "$sample" ] || fail "sample show not bundled"
"$APP" show check "$sample" >"$work/check.txt" 2>&1 || { cat "$work/check.txt"; fail "show check"; }
echo "show check on the bundled sample: ok"

"$APP" gui >"$work/gui.log" 2>&1 &
pid=$!
for _ in $(seq "$SMOKE_SECONDS"); do
  sleep 1
  kill -0 "$pid" 2>/dev/null || { cat "$work/gui.log"; fail "the window exited early"; }
done
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if grep -q "Traceback" "$work/gui.log"; then cat "$work/gui.log"; fail "traceback while running"; fi
echo "window stayed up ${SMOKE_SECONDS}s offscreen: ok"
glibc=$(find dist/anchordesk -type f \( -name '*.so*' -o -name anchordesk \) -exec objdump -T {} + \
  2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1)
echo "bundle: $(du -sm dist/anchordesk | cut -f1) MB; needs ${glibc:-an unknown glibc}"
echo "smoke test passed"
