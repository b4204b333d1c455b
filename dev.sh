#!/usr/bin/env bash
# The two-command entry of the README: `./dev.sh run` and `./dev.sh test`.
# Each one installs what it needs (Debian/Ubuntu packages, the virtual environment) and then runs.
#
# CI (.ci/run) also runs:
#   ./dev.sh package   build the sdist and the wheel, install the wheel into a fresh virtual
#                      environment and smoke-test it there (packaging/smoke_wheel.sh)
#   ./dev.sh lowest    the fast tests (no real servers) on the lowest versions pyproject.toml
#                      declares, in .venv-lowest (uv's --resolution lowest-direct)
set -euo pipefail
cd "$(dirname "$0")"

VENV=${ANCHORDESK_VENV:-.venv}

# Debian package names, by purpose. Runtime: PortAudio for sounddevice, the libraries Qt's xcb
# platform plugin loads (Qt names only the first missing one), a CJK font for the overlays and
# an emoji font (viewers write 🔥 and ❤ in comments; without it they show as empty boxes).
RUNTIME_PACKAGES=(python3 python3-venv libportaudio2 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxkbcommon-x11-0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0
  libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-noto-cjk fonts-noto-color-emoji)
# Tests start real parts: an RTMP server, ffprobe, a PulseAudio null sink, a TLS terminator, Xvfb,
# and a headless chromium (the report's page and the web remote, driven over its DevTools
# protocol: no chromium-driver needed).
# The packaging checks: desktop-file-validate, appstreamcli, update-mime-database, and GLib's
# `gio launch` (how GNOME reads and starts a menu entry).
TEST_PACKAGES=(nginx-light libnginx-mod-rtmp ffmpeg pulseaudio libasound2-plugins stunnel4 xvfb
  xauth desktop-file-utils appstream shared-mime-info libglib2.0-bin chromium)

missing_packages() {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "dev.sh: not a Debian/Ubuntu system; install these by hand: $*" >&2
    return 0
  fi
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "dev.sh: missing Debian packages and no root or sudo to install them:" >&2
      echo "    apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "dev.sh: installing Debian packages: ${missing[*]}"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
      >/tmp/anchordesk-apt.log 2>&1; then
    "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
        >/tmp/anchordesk-apt.log 2>&1; then
      echo "dev.sh: could not install: ${missing[*]} (see /tmp/anchordesk-apt.log)" >&2
      exit 1
    fi
  fi
}

make_venv() {
  local extra=$1
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
  fi
  # A stamp keeps repeated runs fast: reinstall only when pyproject.toml, setup.py or the
  # constraints (the versions CI tested with) changed.
  local stamp="$VENV/.installed-$extra"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] \
      || [ constraints.txt -nt "$stamp" ]; then
    "$VENV/bin/pip" install -q -c constraints.txt -e ".[$extra]"
    touch "$stamp"
  fi
  "$VENV/bin/python" -m anchordesk.ui.i18n_build >/dev/null 2>&1 || true
}

case "${1:-}" in
  run)
    shift
    install_system_packages "${RUNTIME_PACKAGES[@]}"
    make_venv test
    exec "$VENV/bin/anchordesk" "$@"
    ;;
  test)
    shift
    install_system_packages "${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    make_venv test
    export QT_QPA_PLATFORM=offscreen
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  package)
    shift
    install_system_packages "${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    make_venv test
    exec packaging/smoke_wheel.sh "$@"
    ;;
  lowest)
    shift
    install_system_packages "${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    make_venv test
    # uv resolves the lowest release of each direct dependency (pip cannot); the transitive
    # ones come at their newest. Then the tests that start no real server.
    "$VENV/bin/pip" show -q uv >/dev/null 2>&1 || "$VENV/bin/pip" install -q -c constraints.txt uv
    lowest=${ANCHORDESK_LOWEST_VENV:-.venv-lowest}
    [ -x "$lowest/bin/python" ] || "$VENV/bin/uv" venv -q --python "$(command -v python3)" "$lowest"
    "$VENV/bin/uv" pip install -q --python "$lowest/bin/python" --resolution lowest-direct \
      -e ".[test]"
    echo "dev.sh lowest: $("$VENV/bin/uv" pip freeze --python "$lowest/bin/python" \
      | grep -i -E '^(pyside6-essentials|av|opencv-python-headless|numpy|qasync|httpx|keyring|platformdirs|sounddevice|babel)==' \
      | tr '\n' ' ')"
    export QT_QPA_PLATFORM=offscreen
    exec "$lowest/bin/python" -m pytest -m "not integration" -p no:cacheprovider "$@"
    ;;
  *)
    echo "usage: ./dev.sh run [anchordesk arguments] | ./dev.sh test [pytest arguments]" >&2
    echo "       ./dev.sh package | ./dev.sh lowest [pytest arguments]   (what CI adds)" >&2
    exit 2
    ;;
esac
