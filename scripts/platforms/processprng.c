/* Test scaffolding for scripts/test-platforms, never shipped: Rust's std on
 * Windows imports ProcessPrng from bcryptprimitives.dll, which wine 8 lacks.
 * Built with the mingw gcc into a DLL placed beside the .exe under test, it
 * answers with RtlGenRandom, which wine has. */
#include <windows.h>
#include <ntsecapi.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk; len -= chunk;
    }
    return TRUE;
}
