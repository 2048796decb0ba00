# shellcheck shell=bash
# Sourced by scripts/packaging/app and scripts/packaging/pkg (macOS): the
# app `Remote Message.app` made by the release subscriber itself
# (`subscriber bundle`, the code `subscriber install` uses too), then signed:
# with CODESIGN_IDENTITY when set (a "Developer ID Application: …"
# identity in the keychain: hardened runtime and a secure timestamp, as
# notarization needs), else ad hoc (`codesign -s -`).
#
#   signed_app --out DIR        makes DIR/Remote Message.app
#   signed_app --pkg-root ROOT  makes ROOT/Applications/Remote Message.app and
#                               ROOT/Library/LaunchAgents/<label>.plist
# Prints the app's path; what the tools say goes to stderr.

[ "$(uname -s)" = Darwin ] || {
  echo "$(basename "$0"): makes macOS packages on macOS only (it needs codesign, ditto, pkgbuild)" >&2
  exit 2
}
: "${VERSION:?set by scripts/package}" "${OUT:?set by scripts/package}" "${HOST_BIN_DIR:?set by scripts/package}"

signed_app() {
  local made app
  made="$("$HOST_BIN_DIR/subscriber" bundle "$1" "$2")"
  printf '%s\n' "$made" >&2
  app="$(printf '%s\n' "$made" | tail -n 1)"
  if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$app" >&2
  else
    codesign --force --sign - "$app" >&2
  fi
  codesign --verify --strict --verbose=2 "$app" >&2
  printf '%s\n' "$app"
}
