package gui

import (
	"context"
	"time"

	"github.com/postfach/postfach/accounts"
)

// Assistants is what the switch assistant (POP3 ⇄ IMAP) and the free-space assistant
// need from the core. It is an interface of its own, next to Core, so that a core
// without the assistants still runs the app: the app offers them only when its Core
// implements Assistants. Like Core's, every method may block on the network or the disk
// and is called from a goroutine; progress is called from the running goroutine.
// Cancelling ctx pauses a copy; calling again with the same target resumes it without
// copying anything twice.
type Assistants interface {
	// PlanSwitch says what switching account id to the other protocol would do. For
	// POP3 → IMAP it first runs a last backup that keeps everything on the server.
	PlanSwitch(ctx context.Context, id string, t SwitchTarget) (*SwitchPlan, error)
	// Switch copies the mail and, once every message is verified at its destination,
	// changes the account's protocol.
	Switch(ctx context.Context, id string, t SwitchTarget, progress func(CopyProgress)) (*SwitchResult, error)
	// PlanArchive shows what moving the chosen mail of an IMAP account would free.
	PlanArchive(ctx context.Context, id string, c ArchiveChoice) (*ArchivePlan, error)
	// Archive moves the chosen mail into the account's archive folder and deletes it on
	// the server only after each copy is verified.
	Archive(ctx context.Context, id string, c ArchiveChoice, progress func(CopyProgress)) (*ArchiveResult, error)
}

// SwitchTarget is the server an account switches to; empty fields keep the account's.
type SwitchTarget struct {
	Host     string
	Port     int
	Security accounts.Security
	Username string
	// Password empty means the account's stored password.
	Password       string
	AllowPlaintext bool
	// Dir and Retention are the backup policy of an account that becomes POP3.
	Dir       string
	Retention accounts.Retention
}

// SwitchPlan is what a switch would copy.
type SwitchPlan struct {
	From, To accounts.Protocol
	Messages int
	Bytes    int64
	// Fits is false when the destination's free quota is known to be too small.
	Fits bool
	// QuotaFree is the free space at the destination, -1 when unknown.
	QuotaFree int64
	// Largest is the largest message, AppendLimit the server's limit (0: none said);
	// TooBig counts the messages over it.
	Largest, AppendLimit int64
	TooBig               int
	// AlreadyThere are messages found at the destination already.
	AlreadyThere int
	// Dir is the backup folder the mail comes from (to IMAP) or goes to (to POP3).
	Dir string
}

// CopyProgress is how far a copy has come in one folder.
type CopyProgress struct {
	Folder      string
	Done, Total int
}

// SwitchResult is what a switch did.
type SwitchResult struct {
	Copied, Verified int
	Switched         bool
}

// ArchiveChoice says which messages to move off the server; the zero value means every
// folder but Drafts, any age, any size.
type ArchiveChoice struct {
	OlderThan  time.Duration
	LargerThan int64
}

// ArchivePlan is what a choice would free, with ready-made alternatives.
type ArchivePlan struct {
	Messages int
	Bytes    int64
	Dir      string
	Options  []ArchiveOption
}

// ArchiveOption is a ready-made choice and what it would free.
type ArchiveOption struct {
	Choice   ArchiveChoice
	Messages int
	Bytes    int64
}

// ArchiveResult is what an archive run did.
type ArchiveResult struct {
	Deleted int
	Freed   int64
	// Kept are chosen messages left on the server because their copy did not check out.
	Kept int
	Dir  string
}
