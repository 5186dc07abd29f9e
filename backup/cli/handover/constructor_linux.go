//go:build linux && cgo

package handover

/*
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// postfach_start_hidden must equal AppArg (constructor_linux_test.go checks):
// with it, or with no argument, the process is the desktop app.
static const char postfach_start_hidden[] = "--start-hidden";
static const char postfach_cli_name[] = "postfach-cli";

static const char *postfach_start_hidden_arg(void) { return postfach_start_hidden; }

#ifdef __GLIBC__
// postfach_exec_cli replaces a command-line run with postfach-cli next to the executable,
// as Exec does, but before the Go runtime and every package's initialisation start:
// the desktop binary's start-up (Fyne, GL, its own 40 MB of code and data, of which ~30
// MiB are mapped by then) never happens. glibc calls constructors with the program's
// arguments and environment; musl does not, hence the guard. When anything is missing
// it returns, and Exec or the Go program itself takes over.
__attribute__((constructor)) static void postfach_exec_cli(int argc, char **argv, char **envp) {
	if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], postfach_start_hidden) == 0) {
		return;
	}
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0) {
		return;
	}
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == NULL || (size_t)(slash + 1 - path) + sizeof postfach_cli_name > sizeof path) {
		return;
	}
	memcpy(slash + 1, postfach_cli_name, sizeof postfach_cli_name);
	struct stat self, cli;
	if (stat("/proc/self/exe", &self) != 0 || stat(path, &cli) != 0 || !S_ISREG(cli.st_mode) ||
	    (self.st_dev == cli.st_dev && self.st_ino == cli.st_ino) || access(path, X_OK) != 0) {
		return;
	}
	char *arg0 = argv[0];
	argv[0] = path;
	execve(path, argv, envp);
	argv[0] = arg0; // the exec failed: the Go program runs the command itself
}
#endif
*/
import "C"

// startHiddenC is the argument with which the C constructor leaves the process to the
// desktop app; it must be AppArg.
var startHiddenC = C.GoString(C.postfach_start_hidden_arg())
