// Prints the ids that the tokenizer of @energetic-ai/embeddings assigns to
// each text of the JSON array given on stdin, as JSON [{text, ids}] on
// stdout. Usage: node tokenize.js DIST_INDEX_JS VOCAB_JSON < texts.json
// (see gen.sh, which fetches the package; its code is not kept here).
"use strict";
const fs = require("fs");
const [distIndex, vocabPath] = process.argv.slice(2);
const src = fs.readFileSync(distIndex, "utf8");
const mod = { exports: {} };
// The tokenizer needs nothing from @energetic-ai/core.
new Function("module", "exports", "require", src)(mod, mod.exports, (name) =>
  name === "@energetic-ai/core" ? {} : require(name),
);
const vocabulary = JSON.parse(fs.readFileSync(vocabPath, "utf8"));
const model = new mod.exports.EmbeddingsModel({ vocabulary, model: null });
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
const out = texts.map((text) => ({ text, ids: model.tokenizer.encode(text) }));
process.stdout.write(JSON.stringify(out, null, 0).replace(/\},\{/g, "},\n{") + "\n");
