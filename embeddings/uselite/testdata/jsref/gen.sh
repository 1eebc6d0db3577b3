#!/bin/sh
# Regenerates ../tokenizer-cases.json: the ids that the JavaScript tokenizer
# of @energetic-ai/embeddings@0.2.0 (the package USE Lite's reference
# vectors were made with) gives the texts in texts.json. Needs node and npm;
# the package is fetched into a temporary directory and not kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @energetic-ai/embeddings@0.2.0 >/dev/null && tar xzf energetic-ai-embeddings-0.2.0.tgz)
node "$here/tokenize.js" "$tmp/package/dist/index.js" "$here/../../model/vocab.json" \
	<"$here/texts.json" >"$here/../tokenizer-cases.json"
echo "wrote $(cd "$here/.." && pwd)/tokenizer-cases.json"
