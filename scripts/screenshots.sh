#!/usr/bin/env bash
# Regenerates the pictures in docs/screenshots/ (docs/accessibility.md):
#   login-base-de.png, login-base-en.png   the login page of the base theme
#   login-base-de-refused.png              the login page after a wrong password
#   login-<brand>-de.png                   the login page of each brand in themes/
#   admin-*.png                            the operator console pages
# The pictures come from the browser tests, which save them only when
# PFORTE_SCREENSHOTS_DIR is set. Needs chromium and faketime, like the tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="$PWD/docs/screenshots"
mkdir -p "$out"
# Pictures of brands or pages that no longer exist must not linger.
find "$out" -maxdepth 1 -name '*.png' -delete

export PFORTE_SCREENSHOTS_DIR="$out"

echo "==> login pages"
cargo test -p pforte-conformance --test it --locked -- --exact \
    screenshots::screenshots_of_the_login_pages_for_the_docs --nocapture

echo "==> console pages"
cargo test -p pforte-conformance --test it --locked -- --exact \
    admin_console::r_op_1_support_finds_a_locked_user_in_the_browser_unlocks_them_and_the_user_logs_in \
    --nocapture

ls -1 "$out"
