#!/usr/bin/env bash
# Build the one-folder app with PyInstaller and check that the built program comes up.
#
#   packaging/smoke_test.sh            # build, then test dist/anchordesk
#   packaging/smoke_test.sh --no-build # test an existing dist/anchordesk
#
# PyInstaller is a build tool, installed into the venv here only, never a runtime dependency.
# Checks: --version; `show check` on the bundled sample show (resources found); the window
# started offscreen stays up for SMOKE_SECONDS with no traceback; the translations are bundled.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ANCHORDESK_VENV:-.venv}
SMOKE_SECONDS=${SMOKE_SECONDS:-8}
APP=dist/anchordesk/anchordesk

if [ "${1:-}" != "--no-build" ]; then
  "$VENV/bin/python" -c "import PyInstaller" 2>/dev/null || "$VENV/bin/pip" install -q pyinstaller
  "$VENV/bin/python" -m anchordesk.ui.i18n_build
  "$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/anchordesk.spec
fi

fail() { echo "smoke test FAILED: $*" >&2; exit 1; }
[ -x "$APP" ] || fail "$APP was not built"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Keep the user's own settings and keyring out of it.
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache"
export XDG_VIDEOS_DIR="$work/videos" HOME="$work/home"
export XDG_RUNTIME_DIR="$work/runtime" QT_QPA_PLATFORM=offscreen
mkdir -p "$XDG_RUNTIME_DIR" "$HOME" && chmod 700 "$XDG_RUNTIME_DIR"

version=$("$APP" --version) || fail "--version exited with $?"
echo "built: $version"

bundle=$(dirname "$APP")/_internal
[ -d "$bundle" ] || bundle=$(dirname "$APP")
ls "$bundle"/translations/anchordesk_zh_CN.* >/dev/null 2>&1 || fail "translations not bundled"
sample=$(ls "$bundle"/resources/shows/*/show.json | head -n1) || fail "sample show not bundled"
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
echo "smoke test passed"
