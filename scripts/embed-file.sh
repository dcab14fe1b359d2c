#!/bin/sh
# embed-file.sh FILE SYMBOL > out.c — a file's bytes as a C array, NUL-terminated.
set -eu
file=$1 sym=$2
printf '/* generated from %s by scripts/embed-file.sh; do not edit */\n#include <stddef.h>\n' "$file"
printf 'const char %s[] = {\n' "$sym"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00 };\nconst size_t %s_len = sizeof(%s) - 1;\n' "$sym" "$sym"
