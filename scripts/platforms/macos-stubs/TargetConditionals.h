/* Check-only stub (scripts/platforms/macos-cc.sh): enough of Apple's header
 * for ring's C sources to compile for a macOS target. Nothing is linked. */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_TV 0
#define TARGET_OS_SIMULATOR 0
