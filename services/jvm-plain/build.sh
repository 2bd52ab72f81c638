#!/bin/sh
# Builds the jvm-plain account service with the JDK alone (javac, jar).
#
#   services/jvm-plain/build.sh OUT
#
# leaves OUT/footprint-jvm-plain.jar, OUT/classpath.txt (the runtime class path) and
# OUT/main-class.txt. Run it with: java -cp "$(cat OUT/classpath.txt)" "$(cat OUT/main-class.txt)"
set -eu

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUT" >&2
    exit 2
fi

main_class=footprint.accounts.Main
jar_name=footprint-jvm-plain.jar

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

rm -rf "$out/classes"
mkdir -p "$out/classes"
# One quoted path per line, so that javac's @file survives spaces in paths.
find "$here/src/main/java" -name '*.java' | sort | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/' > "$out/sources.txt"
javac --release 17 -encoding UTF-8 -nowarn -d "$out/classes" "@$out/sources.txt"
rm -f "$out/$jar_name"
jar --create --file "$out/$jar_name" --main-class "$main_class" -C "$out/classes" .

printf '%s\n' "$out/$jar_name" > "$out/classpath.txt"
printf '%s\n' "$main_class" > "$out/main-class.txt"
