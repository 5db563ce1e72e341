#!/usr/bin/env bash
# Checks what README promises of the SDK: after `./mvnw install`, a project outside this repository
# can depend on dev.wrenn:wrenn-sdk by coordinates, compile against it, and pulls in nothing but Jackson.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
JAVA_HOME=${JAVA_HOME:-$("$REPO/scripts/find-jdk.sh")}
export JAVA_HOME
MVN="$REPO/mvnw -B -ntp -q"
VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$REPO/pom.xml" | head -1)

echo "[sdk] installing dev.wrenn:wrenn-sdk:$VERSION into the local Maven repository"
(cd "$REPO" && $MVN -pl wrenn-sdk -am install -DskipTests)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src/main/java/demo"
cat > "$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>demo</groupId>
  <artifactId>uses-wrenn-sdk</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>21</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>dev.wrenn</groupId>
      <artifactId>wrenn-sdk</artifactId>
      <version>$VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
cat > "$WORK/src/main/java/demo/Main.java" <<'JAVA'
package demo;

import dev.wrenn.sdk.WrennClient;

public class Main {
    public static void main(String[] args) {
        try (WrennClient client = new WrennClient("wrn_demo", "http://127.0.0.1:9/api")) {
            System.out.println(client.capsules().getClass().getName());
        }
    }
}
JAVA
(cd "$WORK" && "$REPO/mvnw" -B -ntp -q -f "$WORK/pom.xml" compile dependency:list -DoutputFile="$WORK/deps.txt" -DincludeScope=runtime)
DEPS=$(grep -oE '^\s+[a-z][^ ]*:[^ ]*:jar:[^ ]*' "$WORK/deps.txt" | sed 's/^ *//' | sort)
echo "[sdk] a project depending on dev.wrenn:wrenn-sdk compiled; its runtime dependencies:"
sed 's/^/[sdk]   /' <<<"$DEPS"
OTHERS=$(grep -v -e '^com\.fasterxml\.jackson\.core:' -e '^dev\.wrenn:wrenn-sdk:' <<<"$DEPS" || true)
if [ -n "$OTHERS" ]; then
  echo "[sdk] FAIL: the SDK must depend on Jackson and the JDK only, but brings:" >&2
  echo "$OTHERS" >&2
  exit 1
fi
echo "[sdk] OK: only Jackson besides the SDK itself"
