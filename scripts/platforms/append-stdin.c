/* Test scaffolding for scripts/test-platforms, never shipped: the --exec
 * program the Windows agent runs under wine in tests/e2e/platforms/windows.rs.
 * It appends all of its stdin (the message as one JSON line) to the file
 * named by the APPEND_STDIN_TO environment variable, inherited from the
 * agent, and exits 0; 2 if the variable is unset, 1 if the file cannot be
 * written. Built with the mingw gcc into append-stdin.exe. */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *path = getenv("APPEND_STDIN_TO");
    if (path == NULL) {
        fputs("append-stdin: APPEND_STDIN_TO is not set\n", stderr);
        return 2;
    }
    /* Bytes as they come: no CR added or removed. */
    _setmode(_fileno(stdin), _O_BINARY);
    FILE *out = fopen(path, "ab");
    if (out == NULL) {
        perror(path);
        return 1;
    }
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        if (fwrite(buffer, 1, n, out) != n) {
            perror(path);
            return 1;
        }
    }
    return fclose(out) == 0 && !ferror(stdin) ? 0 : 1;
}
