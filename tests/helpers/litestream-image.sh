#!/usr/bin/env bash
# litestream-image.sh: a local stand-in for the Litestream image the
# Dockerfile pins (ARG LITESTREAM_IMAGE, litestream/litestream:0.3.13), for
# machines that reach no container registry (this project's CI).
#
# The Dockerfile copies one file from that image: /usr/local/bin/litestream,
# a static binary. The npm package @flydotio/litestream-linux-x64 (an
# optional dependency, installed by `npm ci` on linux x64 only) ships the
# same release's binary; this puts it at the same path in an image with the
# pinned tag, after checking that its version is the tag's. Nothing else in
# the real image is used.
#
# Usage: tests/helpers/litestream-image.sh [TAG]   (TAG: the Dockerfile's)
#        FORCE=1 …                                 rebuild an existing TAG
# Exits 0 when TAG exists (made now or before), 1 when it cannot be made
# here (no binary: not linux x64, or `npm ci` not run), saying why.
# Used by .ci/run (REQUIRE_LITESTREAM=1 makes a failure fatal there) and by
# the Docker tests (tests/helpers/docker.ts) when TAG is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${1:-$(sed -n 's/^ARG LITESTREAM_IMAGE=//p' Dockerfile)}
binary=node_modules/@flydotio/litestream-linux-x64/litestream
say() { echo "[litestream-image] $*" >&2; }

if [ -z "${FORCE:-}" ] && docker image inspect "$tag" >/dev/null 2>&1; then
  say "$tag already exists (FORCE=1 to rebuild)"
  exit 0
fi
if [ ! -x "$binary" ]; then
  say "cannot build $tag: no $binary (the npm package is for linux x64, this is $(uname -s) $(uname -m); on linux x64 run npm ci)"
  exit 1
fi
version=$("$binary" version)
if [ "$version" != "v${tag##*:}" ]; then
  say "cannot build $tag: the npm package's litestream is $version"
  exit 1
fi

context=$(mktemp -d -t litestream-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/litestream"
cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY litestream /usr/local/bin/litestream
ENTRYPOINT ["/usr/local/bin/litestream"]
DOCKERFILE
docker build -q -t "$tag" "$context" >/dev/null
built=$(docker run --rm --network none "$tag" version)
if [ "$built" != "$version" ]; then
  docker rmi "$tag" >/dev/null 2>&1 || true
  say "the image built as $tag says '$built'; removed"
  exit 1
fi
say "built $tag: /usr/local/bin/litestream $built from the npm package"
