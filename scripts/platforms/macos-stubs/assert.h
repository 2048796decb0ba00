/* Check-only stub (scripts/platforms/macos-cc.sh): assertions compile to
 * nothing; the code is compiled, never run. */
#pragma once
#define assert(x) ((void)0)
