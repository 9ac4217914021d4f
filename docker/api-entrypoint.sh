#!/bin/sh
# The API image's entry point. `serve` (the default command) waits until the bundle at
# $LOOKBOOK_ARTIFACTS passes the start-up checks, then runs `lookbook serve`, which takes its
# host, port and workers from the LOOKBOOK_* variables. Any other command runs as given
# (`lookbook demo ...`, `python /opt/lookbook/reload.py`, a shell).
set -eu
here="$(dirname "$0")"  # /opt/lookbook in the image, docker/ in the repository
if [ "$#" -eq 0 ] || [ "$1" = serve ]; then
  [ "$#" -eq 0 ] || shift
  python "$here/wait_for_bundle.py"
  exec lookbook serve "$@"
fi
exec "$@"
