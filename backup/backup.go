// Package backup copies the mail of a POP3 account, byte for byte, into a local Maildir
// that any mail program can read, and removes mail from the server only when the user's
// retention policy asks for it and the local copy is durable and re-verified.
//
// The rule behind every step: a message is always either still on the server or durably
// in the backup — never neither, never twice. Concretely (see docs/backup.md):
//   - each new message is streamed from RETR into Maildir tmp/ while hashing, fsynced,
//     renamed into new/, and the directory fsynced, before the index records it;
//   - nothing is deleted, and QUIT is not sent, before the data it depends on is durable;
//   - a DELE is sent only after re-reading and re-hashing the local copy and after
//     proving that the server's message under the UIDL is that copy (its size and header
//     block, or a full comparison), never when the backup folder is missing or replaced,
//     and counts as done only after QUIT +OK;
//   - a message still on the server whose local copy went missing or was damaged is
//     downloaded again;
//   - a lock keeps runs of one backup folder apart, across processes.
//
// The package has no GUI; the desktop app and the CLI both call Run and Verify.
package backup

import (
	"errors"
	"time"

	"github.com/postfach/postfach/accounts/connect"
)

// Errors callers act on.
var (
	// ErrFolderMissing means the backup folder that held earlier backups is gone
	// (unplugged drive, unmounted share). Nothing was created and nothing deleted.
	ErrFolderMissing = errors.New("the backup folder is missing")
	// ErrFolderReplaced means the backup folder exists but is not the one earlier runs
	// wrote to (another or an empty folder was put in its place).
	ErrFolderReplaced = errors.New("the backup folder was replaced")
	// ErrFolderForeign means the folder holds the backup of a different mailbox.
	ErrFolderForeign = errors.New("the backup folder belongs to another mailbox")
	// ErrBusy means another run of the same backup folder is in progress.
	ErrBusy = errors.New("another backup of this folder is running")
	// ErrNotPOP3 means Run or Verify was given an account without a backup policy.
	ErrNotPOP3 = errors.New("only POP3 accounts are backed up")
)

// Options tunes a run. A nil *Options is the same as the zero value.
type Options struct {
	// StateDir holds per-account run history and the identity of the account's backup
	// folder (accounts.Store.StateDir()). Empty disables both (tests, one-off runs).
	StateDir string
	// Progress, if set, is called from the running goroutine after each message and at
	// phase changes. It must return quickly.
	Progress func(Progress)
	// Conn says how to reach the server (trust roots, per-command timeout, dialer); it
	// goes down to the POP3 client unchanged. Nil means the defaults.
	Conn *connect.Options
	// Tokens, when set, logs the run in with OAuth2 access tokens instead of the password
	// given to Run (an account whose Auth is accounts.AuthOAuth2; pass "" as the
	// password). A refresh token that no longer works ends the run with KindReauth.
	Tokens connect.Tokens
	// MaxDeletes caps server deletions per run, so that a bug or a clock jump cannot
	// empty a mailbox in one go; 0 means DefaultMaxDeletes.
	MaxDeletes int
	// Now returns the current time; nil means time.Now. Tests move the clock with it.
	Now func() time.Time

	// failpoint is called at each durability step with its name; the crash tests kill
	// the process there.
	failpoint func(step string)
	// dial opens the POP3 session (nil: the account's server); tests script one.
	dial dialFunc
	// batch is the number of messages per group commit (0: 256); the crash tests make
	// batches small so that every per-batch step happens often.
	batch int
}

// DefaultMaxDeletes is the default cap on deletions per run.
const DefaultMaxDeletes = 2000

// Phase names what a run is doing, for progress display.
type Phase string

// Phases of a run, in order.
const (
	PhaseConnect  Phase = "connect"
	PhaseList     Phase = "list"
	PhaseDownload Phase = "download"
	// PhaseVerify retrieves messages in full to compare them with their local copies
	// before deletion (copies not yet proven against the server, or damaged ones).
	PhaseVerify Phase = "verify"
	PhaseDelete Phase = "delete"
	PhaseDone   Phase = "done"
)

// Progress reports how far a run is.
type Progress struct {
	Phase      Phase
	Done       int   // messages downloaded so far in this run
	Total      int   // messages to download in this run
	Bytes      int64 // bytes downloaded so far
	TotalBytes int64 // bytes to download (from LIST; approximate)
}

// Result is the outcome of one run. It is also what the run history stores.
type Result struct {
	AccountID  string        `json:"account_id"`
	Account    string        `json:"account"`
	Dir        string        `json:"backup_dir"`
	Started    time.Time     `json:"started"`
	Duration   time.Duration `json:"duration_ns"`
	New        int           `json:"new"`
	AlreadyHad int           `json:"already_had"`
	// Restored counts messages whose local copy was missing or damaged and that were
	// downloaded again from the server.
	Restored int            `json:"restored,omitempty"`
	Deleted  int            `json:"deleted"`
	Failed   int            `json:"failed"`
	Bytes    int64          `json:"bytes"`
	Errors   []MessageError `json:"errors,omitempty"`
	// Err is the error that ended the run early, empty on success.
	Err string `json:"error,omitempty"`
	// Kind classifies Err (KindOf), so that the faces can explain a failure read back from
	// the history. Entries written before kinds were stored have none.
	Kind Kind `json:"kind,omitempty"`
	// Notes are things worth saying that did not touch the backup, such as a search
	// index that could not be brought up to date after the run.
	Notes []string `json:"notes,omitempty"`
}

// OK reports whether the run finished without a run-level error.
func (r *Result) OK() bool { return r.Err == "" }

// MessageError is a problem with one message that did not stop the run.
type MessageError struct {
	UIDL string `json:"uidl"`
	Err  string `json:"error"`
}
