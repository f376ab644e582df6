/* Preloaded only under valgrind (Scripts/bench-peers.sh, callgrind phase).
 *
 * Valgrind 3.19 (Debian 12's) edits the signal mask that rt_sigsuspend is given in place, in the program's memory.
 * libdispatch's main-thread parking (dispatch_main, which every Swift async main reaches) passes a mask that lives in
 * its read-only data, so valgrind itself faults ("Valgrind received a signal 11") before the program does any work.
 * This sigsuspend hands the kernel a copy on the stack instead; nothing else changes. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)(_NSIG / 8));
}
